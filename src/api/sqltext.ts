import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Sql } from "../db/client.ts";

const dialect = new PgDialect();

/**
 * Runs a drizzle `sql` fragment through postgres.js: composed with drizzle's builder, executed
 * with bound parameters (values never become SQL text).
 */
export async function runSql<T extends Record<string, unknown>>(pg: Pick<Sql, "unsafe">, query: SQL): Promise<T[]> {
  const q = dialect.sqlToQuery(query);
  return (await pg.unsafe(q.sql, q.params as never[])) as unknown as T[];
}

/** The same, as batches read through a server-side cursor: memory stays flat however many rows match. */
export async function* cursorSql<T extends Record<string, unknown>>(pg: Sql, query: SQL, batch = 500): AsyncGenerator<T[]> {
  const q = dialect.sqlToQuery(query);
  for await (const rows of pg.unsafe(q.sql, q.params as never[]).cursor(batch)) yield rows as unknown as T[];
}

/** A timestamp as ISO text whichever form the driver gave it in (Date, or Postgres text on some connections). */
export function isoOrNull(v: unknown): string | null {
  if (v == null) return null;
  const d = v instanceof Date ? v : new Date(String(v).replace(" ", "T").replace(/([+-]\d{2})$/, "$1:00"));
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString();
}
