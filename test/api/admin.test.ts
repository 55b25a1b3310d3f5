import { afterAll, beforeAll, describe, expect, test } from "vitest";
import YAML from "yaml";
import { createApiTestEnv, type ApiTestEnv } from "./support.ts";
import { seedMentions, seedWatchlist } from "./seed.ts";
import { markBlocked } from "../../src/db/repo/crawl-runs.ts";

let env: ApiTestEnv;
beforeAll(async () => {
  // Each test file runs in its own process, so setting the key here touches no other test.
  process.env.EARSHOT_AUTHOR_KEY = "test-key-0123456789abcdef";
  env = await createApiTestEnv({ dashboard: false, bullBoard: false });
});
afterAll(async () => {
  await env?.teardown();
});

const schedulers = async () => (await env.queue.getJobSchedulers(0, -1)).map((s) => ({ key: s.key, every: s.every })).sort((a, b) => a.key.localeCompare(b.key));

describe("watchlists", () => {
  test("creating, editing, disabling and deleting a watchlist reconciles the job schedulers at once", async () => {
    const created = await env.call("POST", "/api/watchlists", { body: { app: "喵记", keywords: ["闪退"], sources: ["appstore", "weibo"], interval: "15m" } });
    expect(created.status, created.text).toBe(201);
    const id = created.json.id;
    expect(created.json).toMatchObject({ app: "喵记", keywords: ["闪退"], intervalSec: 900, enabled: true, schedules: { created: 2 } });
    expect(await schedulers()).toEqual([
      { key: `wl-${id}-appstore`, every: 900_000 },
      { key: `wl-${id}-weibo`, every: 900_000 },
    ]);

    const edited = await env.call("PATCH", `/api/watchlists/${id}`, { body: { interval: "1h", sources: ["weibo"] } });
    expect(edited.status, edited.text).toBe(200);
    expect(await schedulers()).toEqual([{ key: `wl-${id}-weibo`, every: 3_600_000 }]);

    expect((await env.call("POST", `/api/watchlists/${id}/disable`)).json.enabled).toBe(false);
    expect(await schedulers()).toEqual([]);
    expect((await env.call("POST", `/api/watchlists/${id}/enable`)).json.enabled).toBe(true);
    expect(await schedulers()).toHaveLength(1);

    expect((await env.call("DELETE", `/api/watchlists/${id}`)).status).toBe(200);
    expect(await schedulers()).toEqual([]);
    expect((await env.call("GET", `/api/watchlists/${id}`)).status).toBe(404);
  });

  test("validation names the field and the problem", async () => {
    const cases: [unknown, number, string, RegExp][] = [
      [{ app: "喵记", sources: ["myspace"] }, 400, "sources", /unknown source "myspace"/],
      [{ app: "喵记", sources: ["weibo"], keywords: [] }, 400, "keywords", /searches by keyword/],
      [{ app: "喵记", sources: ["weibo"], keywords: ["闪退", " "] }, 400, "keywords", /empty keyword/],
      [{ app: "喵记", sources: ["appstore"], interval: "1m" }, 400, "interval", /under the appstore minimum of 5m/],
      [{ app: "喵记", sources: ["appstore"], interval: "soon" }, 400, "interval", /not a duration/],
      [{ app: "喵记", sources: [] }, 400, "sources", /at least one source/],
      [{ sources: ["appstore"] }, 400, "app", /app's name/],
      [{ app: "喵记", sources: ["appstore"], colour: "red" }, 400, "body", /unknown field/],
    ];
    for (const [body, status, field, message] of cases) {
      const res = await env.call("POST", "/api/watchlists", { body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.json.field, JSON.stringify(body)).toBe(field);
      expect(res.json.message, JSON.stringify(body)).toMatch(message);
    }
  });

  test("a second watchlist for the same app, keywords and sources is refused as a duplicate", async () => {
    const first = await env.call("POST", "/api/watchlists", { body: { app: "重复", keywords: ["a", "b"], sources: ["weibo"] } });
    expect(first.status).toBe(201);
    const again = await env.call("POST", "/api/watchlists", { body: { app: "重复", keywords: ["b", "a"], sources: ["weibo"] } });
    expect(again.status).toBe(409);
    expect(again.json.message).toMatch(new RegExp(`watchlist ${first.json.id} already watches`));
    const live = await env.call("POST", "/api/watchlists/validate", { body: { app: "重复", keywords: ["a", "b"], sources: ["weibo"] } });
    expect(live.json).toMatchObject({ ok: false, problems: [{ field: "keywords" }] });
    const fine = await env.call("POST", "/api/watchlists/validate", { body: { app: "重复", keywords: ["c"], sources: ["weibo"] } });
    expect(fine.json).toEqual({ ok: true, problems: [] });
  });

  test("watchlists export as YAML and import back; invalid items are named by index and nothing is saved", async () => {
    const yaml = YAML.stringify({
      watchlists: [
        { app: "导入", aliases: ["Importer"], keywords: ["卡顿"], sources: ["weibo"], interval: "30m" },
        { app: "导入", keywords: [], sources: ["appstore"], interval: "1h", enabled: false },
      ],
    });
    const imported = await env.call("POST", "/api/watchlists/import", { raw: yaml, contentType: "application/yaml" });
    expect(imported.status, imported.text).toBe(200);
    expect(imported.json.created).toHaveLength(2);
    const again = await env.call("POST", "/api/watchlists/import", { raw: yaml, contentType: "application/yaml" });
    expect(again.json).toMatchObject({ created: [], skipped: [{ index: 0 }, { index: 1 }] });

    const bad = await env.call("POST", "/api/watchlists/import", { body: [{ app: "坏", sources: ["appstore"] }, { app: "坏", sources: ["nowhere"] }] });
    expect(bad.status).toBe(400);
    expect(bad.json.field).toBe("watchlists[1].sources");
    expect((await env.call("GET", "/api/watchlists")).json.some((w: { app: string }) => w.app === "坏")).toBe(false);

    const exported = await env.call("GET", "/api/watchlists/export?format=yaml");
    expect(exported.headers.get("content-type")).toContain("yaml");
    const parsed = YAML.parse(exported.text);
    expect(parsed.watchlists).toEqual(expect.arrayContaining([{ app: "导入", aliases: ["Importer"], keywords: ["卡顿"], sources: ["weibo"], interval: "30m", enabled: true }]));
  });
});

describe("apps", () => {
  test("app fields are checked: a bad store id or package name is named", async () => {
    const bad = await env.call("POST", "/api/apps", { body: { name: "坏应用", appstoreId: "abc" } });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ field: "appstoreId" });
    const pkg = await env.call("POST", "/api/apps", { body: { name: "坏应用", playPackage: "not a package" } });
    expect(pkg.json.field).toBe("playPackage");
    const ok = await env.call("POST", "/api/apps", { body: { name: "好应用", appstoreId: "id414478124", appstoreCountries: ["CN", "us"] } });
    expect(ok.status).toBe(201);
    expect(ok.json).toMatchObject({ appstoreId: "414478124", appstoreCountries: ["cn", "us"] });
    expect((await env.call("POST", "/api/apps", { body: { name: "好应用" } })).status).toBe(409);
  });
});

describe("audit log", () => {
  test("every change records who made it, what, when, and the row before and after", async () => {
    const created = await env.call("POST", "/api/watchlists", { body: { app: "审计", keywords: ["x"], sources: ["weibo"] } });
    await env.call("PATCH", `/api/watchlists/${created.json.id}`, { body: { keywords: ["y"] } });
    const log = await env.call("GET", `/api/audit?entity=watchlist&entityId=${created.json.id}`);
    expect(log.json).toHaveLength(2);
    const [update, create] = log.json;
    expect(create).toMatchObject({ action: "create", actor: expect.stringMatching(/^token:\d+:test-admin$/), role: "admin", before: null, after: { keywords: ["x"] } });
    expect(update).toMatchObject({ action: "update", before: { keywords: ["x"] }, after: { keywords: ["y"] } });
    expect(new Date(update.at).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe("privacy and retention", () => {
  test("retention deletes old mentions and their matches but keeps their daily counts in the trends", async () => {
    const { appId, watchlistId } = await seedWatchlist(env.database.sql, "保留");
    const old = new Date(Date.now() - 40 * 86400_000).toISOString();
    const [gone1, gone2, kept] = await seedMentions(env.database.sql, watchlistId, [
      { text: "旧的差评", publishedAt: old, sentimentLabel: "negative", rating: 1 },
      { text: "旧的好评", publishedAt: old, sentimentLabel: "positive", rating: 5 },
      { text: "新的评论", sentimentLabel: "neutral", rating: 3 },
    ]);
    const set = await env.call("PUT", `/api/apps/${appId}/settings`, { body: { retentionDays: 30 } });
    expect(set.json).toMatchObject({ retentionDays: 30, pseudonymiseAuthors: false });
    const run = await env.call("POST", "/api/privacy/retention/run");
    expect(run.json).toMatchObject({ deletedMentions: 2 });
    const left = await env.database.sql<{ id: string }[]>`select id from mentions where id = any(${[gone1!, gone2!, kept!]}::int8[])`;
    expect(left.map((r) => Number(r.id))).toEqual([kept]);
    expect((await env.database.sql`select 1 from mention_matches where mention_id = any(${[gone1!, gone2!]}::int8[])`).length).toBe(0);
    const day = old.slice(0, 10);
    const volume = await env.call("GET", `/api/aggregates/volume?app=${encodeURIComponent("保留")}&from=${day}&to=${day}`, { role: "analyst" });
    expect(volume.json.buckets).toEqual([{ bucket: `${day}T00:00:00.000Z`, negative: 1, neutral: 0, positive: 1, unscored: 0, total: 2 }]);
  });

  test("pseudonymised authors are stored as a keyed hash, and delete-by-author removes them by name", async () => {
    const { appId, watchlistId } = await seedWatchlist(env.database.sql, "匿名");
    await seedMentions(env.database.sql, watchlistId, [{ text: "我是张三", author: "张三" }, { text: "我是李四", author: "李四" }]);
    const set = await env.call("PUT", `/api/apps/${appId}/settings`, { body: { pseudonymiseAuthors: true } });
    expect(set.status, set.text).toBe(200);
    const run = await env.call("POST", "/api/privacy/retention/run");
    expect(run.json.pseudonymised).toBe(2);
    const authors = await env.database.sql<{ author: string }[]>`
      select m.author from mentions m join mention_matches mm on mm.mention_id = m.id where mm.watchlist_id = ${watchlistId}`;
    for (const a of authors) expect(a.author).toMatch(/^p:[0-9a-f]{20}$/);
    const del = await env.call("POST", "/api/privacy/delete-by-author", { body: { author: "张三" } });
    expect(del.json).toEqual({ deleted: 1 });
    const audit = await env.call("GET", "/api/audit?entity=mentions");
    expect(JSON.stringify(audit.json)).not.toContain("张三");
  });
});

describe("sources", () => {
  test("an admin ends a block on one host; the other host stays paused, and the change is in the audit log", async () => {
    const { db } = env.database;
    const until = new Date(Date.now() + 3600_000);
    await markBlocked(db, "taptap", "www.taptap.cn", "the site forbids access (HTTP 403)", until);
    await markBlocked(db, "taptap", "www.taptap.io", "the site refuses automated clients (HTTP 418)", until);
    const hostsBlocked = async () =>
      ((await env.call("GET", "/api/sources")).json as { id: string; blocks: { host: string }[] }[]).find((s) => s.id === "taptap")!.blocks.map((b) => b.host).sort();
    expect(await hostsBlocked()).toEqual(["www.taptap.cn", "www.taptap.io"]);

    for (const role of ["analyst", "operator", "ingest"] as const) {
      const refused = await env.call("POST", "/api/sources/taptap/unblock", { role, body: { host: "www.taptap.cn" } });
      expect(refused.status, role).toBe(403);
    }
    expect(await hostsBlocked()).toEqual(["www.taptap.cn", "www.taptap.io"]);

    const done = await env.call("POST", "/api/sources/taptap/unblock", { body: { host: "WWW.TAPTAP.CN" } });
    expect(done.status, done.text).toBe(200);
    expect(done.json).toEqual({
      source: "taptap",
      unblocked: [{ host: "www.taptap.cn", reason: "the site forbids access (HTTP 403)", since: expect.any(String), until: until.toISOString() }],
    });
    expect(await hostsBlocked()).toEqual(["www.taptap.io"]);
    const [entry] = (await env.call("GET", "/api/audit?entity=source&entityId=taptap")).json;
    expect(entry).toMatchObject({ action: "unblock", actor: expect.stringMatching(/^token:\d+:test-admin$/), role: "admin", before: [{ host: "www.taptap.cn" }], after: null });

    // Again: nothing left on that host, so nothing changes and nothing is logged.
    expect((await env.call("POST", "/api/sources/taptap/unblock", { body: { host: "www.taptap.cn" } })).json).toEqual({ source: "taptap", unblocked: [] });
    expect((await env.call("GET", "/api/audit?entity=source&entityId=taptap")).json).toHaveLength(1);
    // Without a host: every host.
    expect((await env.call("POST", "/api/sources/taptap/unblock")).json.unblocked.map((b: { host: string }) => b.host)).toEqual(["www.taptap.io"]);
    expect(await hostsBlocked()).toEqual([]);
  });

  test("an unknown source or a bad body is refused", async () => {
    expect((await env.call("POST", "/api/sources/myspace/unblock")).status).toBe(404);
    const bad = await env.call("POST", "/api/sources/taptap/unblock", { body: { host: "x", colour: "red" } });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/colour|unknown|unrecognized/i);
  });
});
