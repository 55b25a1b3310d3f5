import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli.ts";
import { loadConfig } from "../../src/config.ts";
import { markBlocked } from "../../src/db/repo/crawl-runs.ts";
import { ConfigError } from "../../src/errors.ts";
import { crawlQueue, redisConnection, schedulerId, type CrawlQueue } from "../../src/queues.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { runEarshot } from "../helpers/child.ts";
import { fastFetchEnv } from "../helpers/crawl.ts";
import { createTestEnv, dropDatabase, type TestEnv } from "../helpers/env.ts";

let env: TestEnv;
let sandbox: Sandbox;
let cliEnv: NodeJS.ProcessEnv;
let connection: ReturnType<typeof redisConnection>;
let queue: CrawlQueue;
/** What the CLI left in Redis: scheduler id → interval in ms. */
const schedules = async () => Object.fromEntries((await queue.getJobSchedulers(0, -1)).map((s) => [s.key, s.every]));
const earshot = (...args: string[]) => runEarshot(args, cliEnv);

/** Runs the command in this process (same code as the bin, without a process start per case). */
async function inProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stderr = "";
  let stdout = "";
  const capture = (chunk: unknown) => ((stderr += `${String(chunk)}\n`), true);
  const err = vi.spyOn(console, "error").mockImplementation(capture);
  const write = vi.spyOn(process.stderr, "write").mockImplementation(capture as typeof process.stderr.write);
  const log = vi.spyOn(console, "log").mockImplementation((line: unknown) => void (stdout += `${String(line)}\n`));
  const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    err.mockRestore();
    write.mockRestore();
    log.mockRestore();
    out.mockRestore();
  }
}

beforeAll(async () => {
  sandbox = await startSandbox();
  env = await createTestEnv();
  cliEnv = { ...env.childEnv, ...fastFetchEnv, EARSHOT_SANDBOX_URL: sandbox.url };
  Object.assign(process.env, cliEnv);
  connection = redisConnection(env.config.redisUrl);
  queue = crawlQueue(env.config, connection);
});
afterAll(async () => {
  await queue.close();
  connection.disconnect();
  await sandbox.close();
  await env.teardown();
});

describe("configuration", () => {
  it("names every bad variable and what is wrong with it", () => {
    const bad = () => loadConfig({ DATABASE_URL: "mysql://localhost/x", EARSHOT_WORKER_CONCURRENCY: "lots", EARSHOT_STALLED_INTERVAL: "soon" });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/DATABASE_URL: must start with postgres:\/\/ or postgresql:\/\//);
    expect(bad).toThrow(/EARSHOT_WORKER_CONCURRENCY/);
    expect(bad).toThrow(/EARSHOT_STALLED_INTERVAL: must be a duration/);
  });

  it("hides the password of a URL it complains about", () => {
    expect(() => loadConfig({ REDIS_URL: "http://user:hunter2@host" })).toThrow(/REDIS_URL.*\*\*\*/);
    expect(() => loadConfig({ REDIS_URL: "http://user:hunter2@host" })).not.toThrow(/hunter2/);
  });

  it("stops the command with exit code 2 and the message on bad configuration", async () => {
    const r = await runEarshot(["migrate"], { ...cliEnv, DATABASE_URL: "not a url" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/DATABASE_URL: must be a URL/);
  });

  it("creates the database named in DATABASE_URL when it is missing", async () => {
    const url = new URL(cliEnv.DATABASE_URL!);
    const name = `${url.pathname.slice(1)}_fresh`;
    url.pathname = `/${name}`;
    const exists = async () => (await env.database.sql`select 1 from pg_database where datname = ${name}`).length === 1;
    expect(await exists()).toBe(false);
    try {
      const r = await runEarshot(["migrate"], { ...cliEnv, DATABASE_URL: url.toString() });
      expect([r.code, r.stdout.trim()]).toEqual([0, "migrations applied"]);
      expect(await exists()).toBe(true);
    } finally {
      await dropDatabase(name);
    }
  });
});

describe("the earshot command", () => {
  it("refuses bad arguments with a message naming the field, and exit code 2", async () => {
    const cases: [string[], RegExp][] = [
      [["watch", "add", "--app", "喵记", "--sources", "myspace"], /sources: unknown source "myspace"/],
      [["watch", "add", "--app", "喵记", "--sources", "appstore", "--every", "1m"], /interval: 1m is under the appstore minimum of 5m/],
      [["watch", "add", "--app", "喵记", "--sources", "appstore", "--every", "often"], /interval: "often" is not a duration/],
      [["watch", "add", "--app", "喵记", "--sources", "appstore", "--appstore-id", "abc"], /appstore-id: "abc" is not an App Store id/],
      [["watch", "add", "--app", "喵记", "--sources", "appstore", "--countries", "china"], /countries: "china" is not a two-letter/],
      [["watch", "add", "--sources", "appstore"], /required option '--app <name>'/],
      [["watch", "edit", "999"], /watchlist 999 does not exist/],
      [["watch", "rm", "x1"], /ID: "x1" is not a watchlist id/],
      [["crawl"], /required option '--watch <id>'/],
      [["mentions", "--since", "yesterday"], /since: "yesterday" is not a duration/],
      [["parse", "appstore", "/nonexistent/file.json"], /file: cannot read \/nonexistent\/file.json \(ENOENT\)/],
      [["parse", "friendster", "x"], /source: unknown source "friendster"/],
      [["source", "unblock", "myspace"], /source: unknown source "myspace"/],
      [["parse", "appstore", "x", "--play-package", "com.example.app"], /play-package: only googleplay answers need it, not appstore/],
      [["parse", "googleplay", "x", "--play-package", "not a package"], /play-package: "not a package" is not an Android package name/],
      [["frobnicate"], /unknown command 'frobnicate'/],
    ];
    for (const [args, message] of cases) {
      const r = await inProcess(...args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
    }
  });

  let id: number;
  it("adds, lists, edits, disables and removes a watchlist", async () => {
    const add = await earshot("watch", "add", "--app", "喵记", "--aliases", "MeowNote", "--keywords", "闪退，卡顿", "--sources", "appstore", "--every", "15m", "--countries", "cn,us");
    expect(add.code).toBe(0);
    id = Number(add.stdout.trim().split("\n").at(-1));
    expect(id).toBeGreaterThan(0);
    const dup = await earshot("watch", "add", "--app", "喵记", "--keywords", "卡顿,闪退", "--sources", "appstore");
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(new RegExp(`watchlist ${id} already watches 喵记`));

    const list = async () => (await earshot("watch", "list", "--json")).stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(await list()).toEqual([
      { id, app: "喵记", keywords: ["闪退", "卡顿"], sources: ["appstore"], intervalSec: 900, enabled: true, appstoreId: null, countries: ["cn", "us"] },
    ]);
    // Each change reaches Redis at once: no worker runs here to reconcile at its start.
    expect(await schedules()).toEqual({ [schedulerId(id, "appstore")]: 900_000 });
    expect((await earshot("watch", "edit", String(id), "--every", "1h", "--keywords", "crash")).code).toBe(0);
    expect(await schedules()).toEqual({ [schedulerId(id, "appstore")]: 3_600_000 });
    expect((await earshot("watch", "disable", String(id))).code).toBe(0);
    expect(await schedules()).toEqual({});
    expect(await list()).toMatchObject([{ id, keywords: ["crash"], intervalSec: 3600, enabled: false }]);
    const table = await earshot("watch", "list");
    expect(table.stdout).toMatch(/喵记\s+crash\s+appstore\s+1h\s+no/);
  }, 180_000); // seven process starts: on a busy 2-core machine each can take several seconds

  // The watchlist is disabled, so no scheduled run competes: a manual crawl still runs it.
  it("crawls a watchlist now through the queue (starting a worker when none runs) and lists what it found", async () => {
    const r = await earshot("crawl", "--watch", String(id), "--json");
    expect(r.code).toBe(0);
    const results = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(results).toHaveLength(1);
    expect(results[0].result).toMatchObject({ status: "ok", new: 460 });

    const m = await earshot("mentions", "--app", "MeowNote", "--since", "30d", "--limit", "5", "--json");
    expect(m.code).toBe(0);
    const rows = m.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(rows).toHaveLength(5);
    expect(rows[0]).toMatchObject({ source: "appstore" });
    const times = rows.map((r) => r.publishedAt);
    expect([...times].sort().reverse()).toEqual(times);

    const table = await earshot("mentions", "--app", "喵记", "--source", "appstore", "--limit", "3");
    expect(table.stdout.split("\n")[0]).toMatch(/published\s+source\s+rating/);
    expect(table.stderr).toMatch(/3 mention\(s\)/);
  });

  it("parses a saved response into one JSON object per mention", async () => {
    const r = await earshot("parse", "appstore", new URL("../fixtures/appstore/single-review-cn.json", import.meta.url).pathname);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({
      source: "appstore",
      externalId: "cn:11800000001",
      url: "https://apps.apple.com/cn/app/id1500000009?see-all=reviews",
      author: "夜猫子",
      title: "登录后闪退",
      text: "输入验证码以后直接闪退，<b>重装</b>也没用 &amp; 客服不回",
      publishedAt: "2026-11-02T06:05:00.000Z",
      rating: 1,
    });
    const play = new URL("../fixtures/googleplay/reviews-page1.txt", import.meta.url).pathname;
    const urls = async (...extra: string[]) => (await earshot("parse", "googleplay", play, ...extra)).stdout.trim().split("\n").map((l) => JSON.parse(l).url);
    expect(new Set(await urls())).toEqual(new Set([null]));
    const linked = await urls("--play-package", "com.example.meownote");
    expect(linked[0]).toBe("https://play.google.com/store/apps/details?id=com.example.meownote&reviewId=3f1c2a9e-7b41-4d0a-9c55-0e8f6a1b2c3d");
    expect(linked.every((u: string) => u.startsWith("https://play.google.com/store/apps/details?id=com.example.meownote&reviewId="))).toBe(true);
    const saved = join(tmpdir(), `earshot-captcha-${process.pid}.html`);
    writeFileSync(saved, "<html>验证码</html>");
    const bad = await earshot("parse", "appstore", saved);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/App Store feed is not valid JSON/);
  });

  it("ends a source's block on one host, leaves its other hosts paused, and records who did it", async () => {
    const until = new Date(Date.now() + 3600_000);
    await markBlocked(env.database.db, "appstore", "itunes.apple.com", "the site forbids access (HTTP 403)", until);
    await markBlocked(env.database.db, "appstore", "search.example", "the site refuses automated clients (HTTP 418)", until);
    const states = async () => Object.fromEntries((await env.database.sql`select host, state from source_health where source = 'appstore'`).map((r) => [r.host, r.state]));

    const r = await earshot("source", "unblock", "appstore", "--host", "itunes.apple.com");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`appstore unblocked on itunes.apple.com (paused until ${until.toISOString()}; the site forbids access (HTTP 403))`);
    expect(r.stdout).toMatch(/the next run tries the site again/);
    expect(await states()).toEqual({ "itunes.apple.com": "ok", "search.example": "blocked" });
    const [entry] = await env.database.sql`select actor, action, entity, entity_id, before from audit_log where entity = 'source' order by id desc limit 1`;
    expect(entry).toMatchObject({ actor: expect.stringMatching(/^cli:/), action: "unblock", entity_id: "appstore", before: [{ host: "itunes.apple.com" }] });

    const again = await earshot("source", "unblock", "appstore", "--host", "itunes.apple.com");
    expect([again.code, again.stdout.trim()]).toEqual([0, "appstore is not blocked on itunes.apple.com; nothing to do"]);
    const all = await earshot("source", "unblock", "appstore");
    expect(all.stdout).toContain("appstore unblocked on search.example");
    expect(await states()).toEqual({ "itunes.apple.com": "ok", "search.example": "ok" });
  });

  it("parses saved Tieba pages of each format by their content, and refuses the 2026 search page its script has not filled", async () => {
    const saved = (name: string) => new URL(`../fixtures/tieba/${name}`, import.meta.url).pathname;
    const ids = async (name: string) => {
      const r = await inProcess("parse", "tieba", saved(name));
      expect(r.code).toBe(0);
      return r.stdout.trim().split("\n").map((l) => JSON.parse(l).externalId);
    };
    expect(await ids("thread.html")).toEqual(["9117000001", "150700000002", "150700000003"]);
    expect(await ids("page-pc.json")).toEqual(["9117888152", "150718970001", "150718975002"]);
    expect(await ids("mobile-list.html")).toEqual(["9117888152", "9117000001", "9055500003"]);
    expect(await ids("search-legacy-gbk.html")).toEqual(["9117888152", "150700000002"]);
    const shell = await inProcess("parse", "tieba", saved("search-2026-shell.html"));
    expect([shell.code, shell.stdout]).toEqual([1, ""]);
    expect(shell.stderr).toMatch(/2026 search page before its script ran.*browser/);
  });

  it("removes a watchlist and its schedule", async () => {
    const other = await earshot("watch", "add", "--app", "快跑", "--sources", "appstore", "--every", "30m");
    const otherId = Number(other.stdout.trim().split("\n").at(-1));
    expect(await schedules()).toEqual({ [schedulerId(otherId, "appstore")]: 1_800_000 });
    expect((await earshot("watch", "rm", String(otherId))).code).toBe(0);
    expect(await schedules()).toEqual({});
    const r = await earshot("watch", "rm", String(id));
    expect(r.code).toBe(0);
    expect((await earshot("watch", "list", "--json")).stdout.trim()).toBe("");
  }, 180_000); // four process starts
});
