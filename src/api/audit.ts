import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { auditLog } from "../db/schema.ts";

export interface AuditInput {
  actor: string;
  role?: string | null;
  action: string;
  entity: string;
  entityId?: string | number | null;
  before?: unknown;
  after?: unknown;
}

/** Fields never copied into the audit log. */
const SECRET_KEYS = new Set(["secret", "tokenHash", "token_hash", "password"]);

/** A JSON-safe copy of a row with secrets blanked (dates as ISO text, bigints as text). */
function snapshot(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  return JSON.parse(
    JSON.stringify(value, (key, v) => {
      if (SECRET_KEYS.has(key) && v != null) return "[redacted]";
      if (typeof v === "bigint") return v.toString();
      return v;
    }),
  );
}

/** Writes one audit entry: who changed what, when, and the row before and after. */
export async function recordAudit(db: Db, entry: AuditInput): Promise<void> {
  await db.insert(auditLog).values({
    actor: entry.actor,
    role: entry.role ?? null,
    action: entry.action,
    entity: entry.entity,
    entityId: entry.entityId == null ? null : String(entry.entityId),
    before: snapshot(entry.before),
    after: snapshot(entry.after),
  });
}

/** The newest audit entries first, optionally of one entity, before an id (keyset). */
export async function listAudit(db: Db, f: { entity?: string; entityId?: string; beforeId?: number; limit: number }) {
  const conds: SQL[] = [];
  if (f.entity) conds.push(eq(auditLog.entity, f.entity));
  if (f.entityId) conds.push(eq(auditLog.entityId, f.entityId));
  if (f.beforeId) conds.push(lt(auditLog.id, f.beforeId));
  return db
    .select()
    .from(auditLog)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(f.limit);
}
