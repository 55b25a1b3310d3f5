import { createHash, randomBytes } from "node:crypto";
import { and, asc, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { apiRoles, apiTokens, type ApiRole, type ApiToken } from "../db/schema.ts";

/** What a request's token says about its caller. */
export interface Principal {
  tokenId: number;
  name: string;
  role: ApiRole;
  /** How the audit log names the caller: "token:3:alice". */
  actor: string;
}

const TOKEN_PREFIX = "es_";

/** SHA-256 (hex) of a token: tokens carry 256 random bits, so a fast hash is enough to keep them unguessable at rest. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function isRole(value: string): value is ApiRole {
  return (apiRoles as readonly string[]).includes(value);
}

/** Creates a token and returns it in clear: the only time it is ever shown. */
export async function createToken(
  db: Db,
  input: { name: string; role: ApiRole; createdBy: string },
): Promise<{ token: string; row: ApiToken }> {
  const token = `${TOKEN_PREFIX}${input.role.slice(0, 2)}_${randomBytes(32).toString("base64url")}`;
  const [row] = await db
    .insert(apiTokens)
    .values({ name: input.name, role: input.role, tokenHash: hashToken(token), prefix: token.slice(0, 10), createdBy: input.createdBy })
    .returning();
  return { token, row: row! };
}

/** Tokens without their hashes, oldest first. */
export async function listTokens(db: Db, options: { includeRevoked?: boolean } = {}) {
  const rows = await db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      role: apiTokens.role,
      prefix: apiTokens.prefix,
      createdBy: apiTokens.createdBy,
      createdAt: apiTokens.createdAt,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .where(options.includeRevoked ? undefined : isNull(apiTokens.revokedAt))
    .orderBy(asc(apiTokens.id));
  return rows;
}

/** Revokes a token by id; returns the token as it was, or undefined if there is no such live token. */
export async function revokeToken(db: Db, id: number) {
  const [before] = await db.select().from(apiTokens).where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)));
  if (!before) return undefined;
  await db.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.id, id));
  return before;
}

/** Finds the live token a request presents. Revocation takes effect on the next request. */
export async function verifyToken(db: Db, token: string): Promise<Principal | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  const [row] = await db
    .select({ id: apiTokens.id, name: apiTokens.name, role: apiTokens.role })
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt)));
  if (!row) return null;
  return { tokenId: row.id, name: row.name, role: row.role, actor: `token:${row.id}:${row.name}` };
}

const lastTouched = new Map<number, number>();

/** Records use of a token at most once a minute per process (a write per request would be waste). */
export async function touchToken(db: Db, id: number): Promise<void> {
  const now = Date.now();
  if ((lastTouched.get(id) ?? 0) > now - 60_000) return;
  lastTouched.set(id, now);
  await db.update(apiTokens).set({ lastUsedAt: new Date(now) }).where(eq(apiTokens.id, id));
}
