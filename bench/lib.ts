import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import postgres from "postgres";
import { migrateDatabase, quoteIdent } from "../src/db/client.ts";
import { formatTable } from "../src/cli/table.ts";

/** What every benchmark shares: a scratch database, and figures printed as a table and JSON lines. */

export interface Figure {
  figure: string;
  value: number;
  unit?: string;
}

/** One JSON line per figure, then a readable table. */
export function report(title: string, figures: readonly Figure[]): void {
  for (const f of figures) console.log(JSON.stringify(f.unit ? f : { figure: f.figure, value: f.value }));
  console.error(`\n${title} (${cpus().length} cores, ${new Date().toISOString().slice(0, 10)})`);
  console.error(formatTable(["figure", "value", "unit"], figures.map((f) => [f.figure, round(f.value), f.unit ?? ""])));
}

export function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 1000) / 1000;
}

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A migrated database of its own on the server at DATABASE_URL, dropped at the end. */
export async function scratchDatabase(label: string): Promise<ScratchDatabase> {
  const base = new URL(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
  const name = `earshot_bench_${label}_${randomBytes(4).toString("hex")}`;
  const url = new URL(base);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  return {
    url: url.toString(),
    async drop() {
      const admin = new URL(base);
      admin.pathname = "/postgres";
      const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop database if exists ${quoteIdent(name)} with (force)`);
      await sql.end();
    },
  };
}

export async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}
