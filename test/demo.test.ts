import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../src/demo/infrastructure.ts";
import { quoteIdent } from "../src/db/client.ts";
import { runEarshot } from "./helpers/child.ts";
import { createTestEnv, deleteKeys, type TestEnv } from "./helpers/env.ts";

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => {
  await deleteKeys(env.redis, `${env.config.queuePrefix}-demo:*`);
  const admin = new URL(env.config.databaseUrl);
  const demoDb = `${admin.pathname.slice(1)}_demo`;
  admin.pathname = "/postgres";
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
  await sql.unsafe(`drop database if exists ${quoteIdent(demoDb)} with (force)`);
  await sql.end();
  await env.teardown();
});

const totals = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1)!) as { mentions: number; new: number; duplicates: number; alerts: number };

describe("npm run demo", () => {
  it("crawls every demo watchlist through the queue and prints a table and totals; the second run finds nothing new", async () => {
    const first = await runEarshot(["demo", "--json"], env.childEnv, { timeoutMs: 180_000 });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/source\s+runs\s+requests\s+found\s+new\s+duplicates/);
    expect(first.stdout).toMatch(/^appstore\s/m);
    const a = totals(first.stdout);
    expect(a.new).toBeGreaterThan(0);
    expect(a.mentions).toBe(a.new);
    expect(a.duplicates).toBeGreaterThan(0);
    // The demo's rules fire and their webhooks reach the local receiver with valid signatures.
    expect(a.alerts).toBeGreaterThan(0);
    const arrived = Number(/alerts:\s+(\d+) arrived at the local webhook receiver \(signatures verified\)/.exec(first.stderr)?.[1]);
    expect(arrived).toBeGreaterThan(0);
    expect(first.stderr).not.toMatch(/did NOT verify/);

    const second = await runEarshot(["demo", "--json"], env.childEnv, { timeoutMs: 180_000 });
    expect(second.code, second.stderr).toBe(0);
    const b = totals(second.stdout);
    expect(b).toMatchObject({ new: 0, duplicates: 0, alerts: 0, mentions: a.mentions });
  }, 400_000);

  it("runs on an embedded Postgres and a private redis-server when neither answers, and keeps its data between runs", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "earshot-demo-"));
    try {
      const offline = {
        ...env.childEnv,
        DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/earshot`,
        REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
        EARSHOT_DATA_DIR: dataDir,
      };
      const first = await runEarshot(["demo", "--json"], offline, { timeoutMs: 240_000 });
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toMatch(/embedded Postgres \(PGlite\)/);
      expect(first.stderr).toMatch(/a private redis-server/);
      const a = totals(first.stdout);
      expect(a.new).toBeGreaterThan(0);
      const second = await runEarshot(["demo", "--json"], offline, { timeoutMs: 240_000 });
      expect(second.code, second.stderr).toBe(0);
      expect(totals(second.stdout)).toMatchObject({ new: 0, mentions: a.mentions });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 600_000);
});
