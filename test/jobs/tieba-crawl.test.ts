import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCrawl } from "../../jobs/crawl.ts";
import { upsertForum } from "../../src/db/repo/forums.ts";
import { createWatchlist, upsertApp } from "../../src/db/repo/watchlists.ts";
import { findChromium } from "../../src/fetch/browser.ts";
import { sandboxApps } from "../../src/sandbox/data.ts";
import { searchFeed, socialFeed, type SocialPost } from "../../src/sandbox/posts.ts";
import type { SandboxState } from "../../src/sandbox/server.ts";
import { tiebaFirstPage, tiebaKey, tiebaSandbox, tiebaSearchHits, tiebaThread, tiebaTid } from "../../src/sandbox/tieba.ts";
import { createCrawlTestEnv, type CrawlTestEnv } from "../helpers/crawl.ts";

const chromium = findChromium();
const fastEnv = { EARSHOT_POLITENESS_TIEBA: "4/0" };
const COOKIE = { EARSHOT_COOKIE_TIEBA: "BDUSS=bduss-of-a-test-account; STOKEN=stoken-of-a-test-account" };
let job = 0;
const crawl = (e: CrawlTestEnv, watchlistId: number) => runCrawl(e.deps, { id: `tieba-${++job}`, data: { watchlistId, source: "tieba" }, attemptsMade: 0 });
const paths = (e: CrawlTestEnv, part: string) => e.sandbox.requests.filter((r) => r.path.includes(part));
const count = async (e: CrawlTestEnv, q: string) => Number((await e.database.sql.unsafe(q))[0]!.n);
const matches = (e: CrawlTestEnv, watchlistId: number, keyword: string) =>
  count(e, `select count(*)::int as n from mention_matches where watchlist_id = ${watchlistId} and keyword = '${keyword}'`);
/** The threads /p/{tid} was asked for, in order. */
const threadPagesRead = (e: CrawlTestEnv) => paths(e, "/p/").map((r) => /^\/p\/(\d+)/.exec(r.path)![1]);
const firstPageKeys = (p: SocialPost, state: SandboxState) => tiebaFirstPage(p, state).map(tiebaKey);
const barThreads = (state: SandboxState) => socialFeed("tieba-bar", sandboxApps[0]!, state).filter((p) => p.repostOf === null);

describe("a Tieba crawl without a cookie", () => {
  let env: CrawlTestEnv;
  let watchlistId: number;
  beforeAll(async () => {
    env = await createCrawlTestEnv(fastEnv);
    const app = await upsertApp(env.database.db, { name: "喵记" });
    const bar = await upsertForum(env.database.db, { kind: "tieba", name: "喵记", baseUrl: "https://tieba.baidu.com/f?kw=喵记" });
    watchlistId = (await createWatchlist(env.database.db, { appId: app.id, keywords: ["白屏"], sources: ["tieba"], intervalSec: 900, forumIds: [bar.id], by: "test" })).id;
  });
  afterAll(() => env.teardown());
  beforeEach(() => {
    env.sandbox.clearFaults();
    env.sandbox.requests.length = 0;
  });

  it("reads the GBK search pages, the 吧's mobile thread list without its pinned thread, and the first pages of ten new threads", async () => {
    const state = env.sandbox.state;
    const hits = tiebaSearchHits("喵记 白屏", state).slice(0, 50);
    const searchTids = [...new Set(hits.map((h) => h.tid))].slice(0, 10);
    const bar = barThreads(state);
    const barRead = bar.slice(0, 10 - searchTids.length);
    const r = await crawl(env, watchlistId);
    expect(r.status).toBe("ok");
    expect(paths(env, "/f/search/res")).toHaveLength(Math.min(5, Math.ceil(hits.length / 10)));
    expect(paths(env, "/mo/q/m")).toHaveLength(Math.ceil(bar.length / 30));
    expect(paths(env, "/c/f/frs/page")).toHaveLength(0);
    // EARSHOT_TIEBA_THREAD_PAGES (10): the search's threads first, then the 吧's newest.
    expect(threadPagesRead(env)).toEqual([...searchTids, ...barRead.map(tiebaTid)]);

    const searchKeys = new Set([...hits.map(tiebaKey), ...searchTids.flatMap((t) => firstPageKeys(tiebaThread(t, state)!, state))]);
    expect(await matches(env, watchlistId, "白屏")).toBe(searchKeys.size);
    const barKeys = new Set([...bar.map(tiebaTid), ...barRead.flatMap((p) => firstPageKeys(p, state))]);
    expect(await matches(env, watchlistId, "")).toBe(barKeys.size);
    expect(await count(env, "select count(*)::int as n from mentions where source = 'tieba' and title like '%吧规%'")).toBe(0);
    expect(await count(env, "select count(*)::int as n from (select external_id from mentions group by external_id having count(*) > 1) d")).toBe(0);
  });

  it("keys threads by tid and replies by pid, and completes a thread's text from its first floor", async () => {
    const state = env.sandbox.state;
    const [thread] = barThreads(state);
    const floors = tiebaFirstPage(thread!, state);
    const rows = await env.database.sql`select external_id, url, title, text, author, extra from mentions where source = 'tieba' and extra->>'tid' = ${tiebaTid(thread!)} order by (extra->>'floor')::int nulls first`;
    expect(rows.map((m) => m.external_id)).toEqual(floors.map(tiebaKey));
    // The mobile list shows no text: the first floor brings it.
    expect(rows[0]).toMatchObject({ url: `https://tieba.baidu.com/p/${tiebaTid(thread!)}`, title: thread!.title, text: floors[0]!.text });
    expect(rows[1]).toMatchObject({ url: `https://tieba.baidu.com/p/${tiebaTid(thread!)}?pid=${floors[1]!.pid}#${floors[1]!.pid}`, title: null, author: floors[1]!.author, text: floors[1]!.text });
    const searchThread = tiebaSearchHits("喵记 白屏", state).find((h) => h.floor === 1)!;
    const [hit] = await env.database.sql`select text from mentions where source = 'tieba' and external_id = ${searchThread.tid}`;
    expect(hit!.text).toBe(tiebaFirstPage(tiebaThread(searchThread.tid, state)!, state)[0]!.text);
  });

  it("reads one page per scope and no thread page when nothing is new; then only the new threads, each with its replies", async () => {
    const again = await crawl(env, watchlistId);
    expect([again.new, paths(env, "/f/search/res").length, paths(env, "/mo/q/m").length, paths(env, "/p/").length]).toEqual([0, 1, 1, 0]);
    env.sandbox.grow("tieba-bar:喵记", 4);
    env.sandbox.requests.length = 0;
    const fresh = barThreads(env.sandbox.state).slice(0, 4);
    const r = await crawl(env, watchlistId);
    expect(threadPagesRead(env)).toEqual(fresh.map(tiebaTid));
    expect(r.new).toBe(fresh.reduce((n, p) => n + tiebaFirstPage(p, env.sandbox.state).length, 0));
    expect(paths(env, "/mo/q/m")).toHaveLength(1);
    expect((await crawl(env, watchlistId)).new).toBe(0);
  });

  it("keeps late replies to old threads and none of their floors the last run already passed", async () => {
    const state = env.sandbox.state;
    // The oldest such threads: every floor of them is older than the newest hit the last run saw.
    const old = searchFeed("tieba", "喵记 白屏", state).filter((p) => p.repostOf === null && tiebaFirstPage(p, state).length < 29).slice(-2);
    for (const p of old) tiebaSandbox(state).reply(tiebaTid(p), "后来的人", `又白屏了，刚更新完（${tiebaTid(p)}）`);
    env.sandbox.requests.length = 0;
    const r = await crawl(env, watchlistId);
    // Both replies: an old floor passed on would have cut the page there, before the second.
    expect([r.status, r.new, r.seen]).toEqual(["ok", 2, 2]);
    expect(threadPagesRead(env).sort()).toEqual(old.map(tiebaTid).sort());
    const late = await env.database.sql`select external_id from mentions where source = 'tieba' and text like '又白屏了，刚更新完%'`;
    expect(late.map((m) => m.external_id).sort()).toEqual(old.map((p) => tiebaFirstPage(p, state).at(-1)!.pid).sort());
  });

  it("blocks the source with advice on the 安全验证 page", async () => {
    tiebaSandbox(env.sandbox.state).security = true;
    try {
      const r = await crawl(env, watchlistId);
      expect(r.status).toBe("blocked");
      expect(r.message).toMatch(/安全验证/);
      expect(r.message).toMatch(/EARSHOT_COOKIE_TIEBA/);
    } finally {
      tiebaSandbox(env.sandbox.state).security = false;
      await env.database.sql`delete from source_health`;
    }
  });

  it("fails with what to do when the search page needs a logged-in browser", async () => {
    tiebaSandbox(env.sandbox.state).layout = "2026";
    try {
      await expect(crawl(env, watchlistId)).rejects.toThrow(/EARSHOT_COOKIE_TIEBA/);
    } finally {
      tiebaSandbox(env.sandbox.state).layout = "legacy";
    }
  });
});

describe("a Tieba crawl with a cookie", () => {
  let env: CrawlTestEnv;
  let watchlistId: number;
  let appId: number;
  beforeAll(async () => {
    env = await createCrawlTestEnv({ ...fastEnv, ...COOKIE });
    appId = (await upsertApp(env.database.db, { name: "喵记" })).id;
    const bar = await upsertForum(env.database.db, { kind: "tieba", name: "喵记", baseUrl: "https://tieba.baidu.com/f?kw=喵记" });
    watchlistId = (await createWatchlist(env.database.db, { appId, keywords: ["闪退"], sources: ["tieba"], intervalSec: 900, forumIds: [bar.id], by: "test" })).id;
  });
  afterAll(() => env.teardown());
  beforeEach(() => {
    env.sandbox.clearFaults();
    env.sandbox.requests.length = 0;
    tiebaSandbox(env.sandbox.state).layout = "legacy";
  });

  it("searches through the signed JSON search, lists the 吧 through the client API and reads thread pages as page_pc JSON", async () => {
    const state = env.sandbox.state;
    const hits = searchFeed("tieba", "喵记 闪退", state).filter((p) => p.repostOf === null);
    const bar = barThreads(state);
    const r = await crawl(env, watchlistId);
    expect(r.status).toBe("ok");
    // Signed right, or the sandbox would have refused them (and the crawl fallen back to the pages).
    expect(paths(env, "/mo/q/search/multsearch")).toHaveLength(Math.min(5, Math.ceil(hits.length / 20)));
    expect(paths(env, "/c/f/frs/page")).toHaveLength(Math.ceil(bar.length / 30));
    expect([paths(env, "/f/search/res").length, paths(env, "/mo/q/m").length, paths(env, "/p/").length]).toEqual([0, 0, 0]);
    expect(paths(env, "/c/s/pc/sync")).toHaveLength(1);
    expect(paths(env, "/c/f/pb/page_pc")).toHaveLength(10);

    const read = hits.slice(0, 10);
    const searchKeys = new Set([...hits.slice(0, 100).map(tiebaTid), ...read.flatMap((p) => firstPageKeys(p, state))]);
    expect(await matches(env, watchlistId, "闪退")).toBe(searchKeys.size);
    expect(await matches(env, watchlistId, "")).toBe(bar.length);
    const [thread] = await env.database.sql`select text, author from mentions where external_id = ${tiebaTid(read[0]!)}`;
    expect(thread!.text).toBe(tiebaFirstPage(read[0]!, state)[0]!.text);
    const reply = tiebaFirstPage(read[0]!, state)[1]!;
    const [stored] = await env.database.sql`select author, text, published_at from mentions where external_id = ${reply.pid}`;
    expect(stored).toMatchObject({ author: reply.author, text: reply.text });
    expect(new Date(stored!.published_at).getTime()).toBe(Math.floor(reply.at / 1000) * 1000);
  });

  it("makes one request per scope and reads no thread when nothing is new", async () => {
    const r = await crawl(env, watchlistId);
    expect([r.new, r.requests]).toEqual([0, 2]);
    expect([paths(env, "/mo/q/search/multsearch").length, paths(env, "/c/f/frs/page").length]).toEqual([1, 1]);
  });

  it("falls back to the mobile thread list when the client API refuses, and carries on from the same cursor", async () => {
    env.sandbox.fail({ match: "/c/f/frs/page", body: JSON.stringify({ error_code: "110003", error_msg: "请求过于频繁" }) });
    env.sandbox.grow("tieba-bar:喵记", 2);
    const fresh = barThreads(env.sandbox.state).slice(0, 2);
    const r = await crawl(env, watchlistId);
    expect(r.status).toBe("ok");
    expect([paths(env, "/c/f/frs/page").length, paths(env, "/mo/q/m").length]).toEqual([1, 1]);
    expect(r.new).toBe(fresh.reduce((n, p) => n + tiebaFirstPage(p, env.sandbox.state).length, 0));
  });

  it.runIf(chromium)("renders the 2026 card page in the browser with the cookie when the JSON search fails", async () => {
    const w = await createWatchlist(env.database.db, { appId, keywords: ["卡顿"], sources: ["tieba"], intervalSec: 900, by: "test" });
    tiebaSandbox(env.sandbox.state).layout = "2026";
    env.sandbox.fail({ match: "/mo/q/search/multsearch", body: JSON.stringify({ no: 2210002, error: "服务繁忙", data: {} }) });
    const hits = searchFeed("tieba", "喵记 卡顿", env.sandbox.state).filter((p) => p.repostOf === null);
    const r = await crawl(env, w.id);
    expect(r.status).toBe("ok");
    // One failed JSON search, then every page in the browser: cards until the empty page.
    expect(paths(env, "/mo/q/search/multsearch")).toHaveLength(1);
    const pages = Math.min(5, Math.ceil(hits.length / 10) + 1);
    expect(await count(env, `select count(*)::int as n from fetch_log where run_id = ${r.runId} and url like '%/f/search/res%(browser)'`)).toBe(pages);
    expect(paths(env, "/f/search/cards")).toHaveLength(pages);
    const stored = await env.database.sql`select m.external_id from mentions m join mention_matches mm on mm.mention_id = m.id where mm.watchlist_id = ${w.id} and m.external_id like '91%' and length(m.external_id) = 10`;
    expect(new Set(stored.map((s) => s.external_id as string))).toEqual(new Set(hits.slice(0, 50).map(tiebaTid)));
    expect(paths(env, "/c/f/pb/page_pc")).toHaveLength(10);
  });
});

describe.runIf(chromium)("a Tieba crawl set to search in the browser", () => {
  let env: CrawlTestEnv;
  beforeAll(async () => {
    env = await createCrawlTestEnv({ ...fastEnv, ...COOKIE, EARSHOT_TIEBA_SEARCH: "browser", EARSHOT_TIEBA_THREAD_PAGES: "0" });
  });
  afterAll(() => env.teardown());

  it("renders the card page without trying the JSON search, and reads no thread page when told to read none", async () => {
    const app = await upsertApp(env.database.db, { name: "快跑" });
    const w = await createWatchlist(env.database.db, { appId: app.id, keywords: ["白屏"], sources: ["tieba"], intervalSec: 900, by: "test" });
    tiebaSandbox(env.sandbox.state).layout = "2026";
    const hits = searchFeed("tieba", "快跑 白屏", env.sandbox.state).filter((p) => p.repostOf === null);
    const r = await crawl(env, w.id);
    expect([r.status, r.new]).toEqual(["ok", Math.min(50, hits.length)]);
    expect(paths(env, "/mo/q/search/multsearch")).toHaveLength(0);
    expect(paths(env, "/f/search/cards").length).toBeGreaterThan(0);
    expect([paths(env, "/c/f/pb/page_pc").length, paths(env, "/p/").length]).toEqual([0, 0]);
  });
});
