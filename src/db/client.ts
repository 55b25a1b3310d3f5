import { fileURLToPath } from "node:url";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { redactUrl } from "../config.ts";
import * as schema from "./schema.ts";

export type Sql = postgres.Sql;
export type Db = PostgresJsDatabase<typeof schema>;

export interface Database {
  /** postgres.js, for the batched statements on the hot path. */
  sql: Sql;
  /** drizzle over the same pool, for everything else. */
  db: Db;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Pool size. @default 10 */
  max?: number;
  /** Called with every statement sent (tests count round trips with it). */
  onQuery?: (query: string) => void;
}

export function openDatabase(url: string, options: OpenDatabaseOptions = {}): Database {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: { application_name: "earshot" },
    ...(options.onQuery ? { debug: (_conn: number, query: string) => options.onQuery!(query) } : {}),
  });
  const db = drizzle(sql, { schema });
  return { sql, db, close: () => sql.end({ timeout: 5 }) };
}

/** Creates the database named in the URL when it does not exist yet (connecting to `postgres`). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, "")) || "postgres";
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) {
      try {
        await sql.unsafe(`create database ${quoteIdent(name)}`);
      } catch (err) {
        // Another process created it between our check and our create.
        if ((err as { code?: string }).code !== "42P04") throw err;
      }
    }
  } catch (err) {
    throw new Error(`Cannot reach Postgres at ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const migrationsFolder = fileURLToPath(new URL("./migrations", import.meta.url));
const MIGRATION_LOCK = 0x6561_7273; // "ears": one migrator at a time across worker processes

/** Applies the committed drizzle-kit migrations; safe to call from several processes at once. */
export async function migrateDatabase(url: string): Promise<void> {
  await ensureDatabase(url);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`;
    try {
      await migrate(drizzle(sql), { migrationsFolder });
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}
