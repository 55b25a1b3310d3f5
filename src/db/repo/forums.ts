import { asc, eq, inArray } from "drizzle-orm";
import type { Db } from "../client.ts";
import { forums, type Forum } from "../schema.ts";

export interface ForumInput {
  kind: Forum["kind"];
  name: string;
  baseUrl: string;
  config?: Record<string, unknown>;
}

/** Adds a forum, or replaces the URL and settings of the forum of that kind and name. */
export async function upsertForum(db: Db, input: ForumInput): Promise<Forum> {
  const [row] = await db
    .insert(forums)
    .values({ kind: input.kind, name: input.name, baseUrl: input.baseUrl, config: input.config ?? {} })
    .onConflictDoUpdate({ target: [forums.kind, forums.name], set: { baseUrl: input.baseUrl, config: input.config ?? {} } })
    .returning();
  return row!;
}

export async function listForums(db: Db, ids?: readonly number[]): Promise<Forum[]> {
  if (ids && ids.length === 0) return [];
  return db
    .select()
    .from(forums)
    .where(ids ? inArray(forums.id, [...ids]) : undefined)
    .orderBy(asc(forums.id));
}

export async function getForum(db: Db, id: number): Promise<Forum | undefined> {
  const [row] = await db.select().from(forums).where(eq(forums.id, id));
  return row;
}

export async function deleteForum(db: Db, id: number): Promise<boolean> {
  const rows = await db.delete(forums).where(eq(forums.id, id)).returning({ id: forums.id });
  return rows.length > 0;
}
