import { readFileSync } from "node:fs";
import { getTableName, is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as schema from "../../src/db/schema.ts";
import { migrateDatabase } from "../../src/db/client.ts";
import { createTestEnv, type TestEnv } from "../helpers/env.ts";

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(() => env.teardown());

it("creates every table, and migrating again (from two processes at once) changes nothing", async () => {
  await Promise.all([migrateDatabase(env.config.databaseUrl), migrateDatabase(env.config.databaseUrl)]);
  const rows = await env.database.sql<{ table_name: string }[]>`
    select table_name from information_schema.tables where table_schema = 'public' order by 1`;
  // Every table the schema file declares exists, and no other.
  const declared = Object.values(schema)
    .filter((v) => is(v, PgTable))
    .map((t) => getTableName(t as PgTable))
    .sort();
  expect(rows.map((r) => r.table_name)).toEqual(declared);
  expect(declared).toEqual(expect.arrayContaining(["apps", "watchlists", "mentions", "mention_matches", "crawl_runs", "source_cursors"]));
  const journal = JSON.parse(readFileSync(new URL("../../src/db/migrations/meta/_journal.json", import.meta.url), "utf8")) as { entries: unknown[] };
  const [applied] = await env.database.sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
  expect(applied!.n).toBe(journal.entries.length);
});
