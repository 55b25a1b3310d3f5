import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCrawl } from "../../jobs/crawl.ts";
import { upsertForum } from "../../src/db/repo/forums.ts";
import { createWatchlist, upsertApp } from "../../src/db/repo/watchlists.ts";
import { BrowserPool, findChromium } from "../../src/fetch/browser.ts";
import { searchFeed } from "../../src/sandbox/posts.ts";
import { weiboSandbox } from "../../src/sandbox/weibo.ts";
import { testForum } from "../../src/sources/forum.ts";
import { resetWeiboErrors } from "../../src/sources/weibo.ts";
import { resetWeiboSession, WeiboSession } from "../../src/sources/weibo-session.ts";
import { createCrawlTestEnv, type CrawlTestEnv } from "../helpers/crawl.ts";

const chromium = findChromium();
let env: CrawlTestEnv;
let job = 0;
const crawl = (watchlistId: number, source: string, e = env) =>
  runCrawl(e.deps, { id: `social-${++job}`, data: { watchlistId, source }, attemptsMade: 0 });
const paths = (part: string, e = env) => e.sandbox.requests.filter((r) => r.path.includes(part));
const count = async (q: string, e = env) => Number((await e.database.sql.unsafe(q))[0]!.n);
const fastEnv = { EARSHOT_POLITENESS_WEIBO: "4/0", EARSHOT_POLITENESS_DISCOURSE: "4/0", EARSHOT_POLITENESS_FORUM: "4/0" };

beforeAll(async () => {
  env = await createCrawlTestEnv(fastEnv);
});
afterAll(() => env.teardown());
beforeEach(async () => {
  env.sandbox.clearFaults();
  env.sandbox.requests.length = 0;
  resetWeiboErrors();
  await env.database.sql`delete from source_health`;
});

describe.runIf(chromium)("a Weibo crawl with visitor cookies", () => {
  let watchlistId: number;
  let session: WeiboSession;
  beforeAll(async () => {
    session = new WeiboSession({ cooldownMs: 0 });
    resetWeiboSession(session);
    const app = await upsertApp(env.database.db, { name: "喵记", aliases: ["MeowNote"] });
    watchlistId = (await createWatchlist(env.database.db, { appId: app.id, keywords: ["闪退", "卡顿"], sources: ["weibo"], intervalSec: 900, by: "test" })).id;
  });

  it("gets visitor cookies once in the browser after a 432, then reads every page of each keyword", async () => {
    const r = await crawl(watchlistId, "weibo");
    expect(r.status).toBe("ok");
    expect(session.visits).toBe(1);
    expect(weiboSandbox(env.sandbox.state).visitorVisits).toBe(1);
    const first = paths("/api/container/getIndex")[0]!;
    expect(first.status).toBe(432);
    const log = await env.database.sql`select url, status from fetch_log where run_id = ${r.runId} and url like '%(browser: visitor cookies)'`;
    expect(log).toHaveLength(1);
    const expected = new Set(["闪退", "卡顿"].flatMap((k) => searchFeed("weibo", `喵记 ${k}`, env.sandbox.state).map((p) => p.id)));
    const stored = await env.database.sql`select external_id from mentions where source = 'weibo'`;
    const ids = new Set(stored.map((s) => s.external_id as string));
    for (const id of expected) expect(ids.has(id)).toBe(true);
  });

  it("stores the whole text of long posts and each repost's original as its own mention, linked", async () => {
    const long = await env.database.sql`select text, extra from mentions where source = 'weibo' and extra->>'longText' = 'true'`;
    expect(long.length).toBeGreaterThan(0);
    expect(long.every((m) => (m.text as string).includes("具体情况是这样的") && !(m.text as string).includes("全文"))).toBe(true);
    const reposts = await env.database.sql`
      select r.external_id, o.external_id as original from mentions r join mentions o on o.external_id = r.extra->>'repostOf' and o.source = 'weibo'
      where r.source = 'weibo'`;
    expect(reposts.length).toBeGreaterThan(0);
    const deleted = await count("select count(*)::int as n from mentions where source = 'weibo' and author is null and extra->>'deleted' = 'true'");
    expect(deleted).toBeGreaterThan(0);
  });

  it("stores a post found by two keywords once, with a match for each", async () => {
    const both = await env.database.sql`
      select m.id from mentions m join mention_matches mm on mm.mention_id = m.id
      where m.source = 'weibo' and mm.keyword in ('闪退', '卡顿') group by m.id having count(*) = 2`;
    expect(both.length).toBeGreaterThan(0);
    expect(await count("select count(*)::int as n from (select external_id from mentions where source = 'weibo' group by external_id having count(*) > 1) d")).toBe(0);
  });

  it("makes one search request per keyword, fetches no long text and opens no browser when nothing is new", async () => {
    const r = await crawl(watchlistId, "weibo");
    expect([r.status, r.new, r.seen]).toEqual(["ok", 0, 0]);
    expect(paths("/api/container/getIndex")).toHaveLength(2);
    expect(paths("/statuses/show")).toHaveLength(0);
    expect(session.visits).toBe(1);
  });

  it("collects the posts that appeared since the last run and stops at the last one seen", async () => {
    env.sandbox.grow("weibo:喵记", 12);
    const fresh = ["闪退", "卡顿"].flatMap((k) => searchFeed("weibo", `喵记 ${k}`, env.sandbox.state).filter((p) => p.k >= 120));
    const r = await crawl(watchlistId, "weibo");
    expect(r.status).toBe("ok");
    expect(r.new).toBeGreaterThanOrEqual(new Set(fresh.map((p) => p.id)).size);
    expect(paths("/api/container/getIndex")).toHaveLength(2);
    const stored = await env.database.sql`select external_id from mentions where source = 'weibo'`;
    const ids = new Set(stored.map((s) => s.external_id as string));
    for (const p of fresh) expect(ids.has(p.id)).toBe(true);
    expect((await crawl(watchlistId, "weibo")).new).toBe(0);
  });

  it("renews expired visitor cookies (ok: -100) in the browser and carries on", async () => {
    weiboSandbox(env.sandbox.state).expireVisitorCookies();
    env.sandbox.grow("weibo:喵记", 1);
    const r = await crawl(watchlistId, "weibo");
    expect(r.status).toBe("ok");
    expect(session.visits).toBe(2);
  });

  it("blocks the source with advice when fresh visitor cookies are refused again", async () => {
    resetWeiboSession(new WeiboSession());
    env.sandbox.fail({ match: "/api/container/getIndex", status: 432 });
    const r = await crawl(watchlistId, "weibo");
    expect(r.status).toBe("blocked");
    expect(r.message).toMatch(/visitor cookies fetched .* ago/);
    expect(r.message).toMatch(/EARSHOT_COOKIE_WEIBO/);
    const health = await env.database.sql`select state from source_health where source = 'weibo'`;
    expect(health[0]!.state).toBe("blocked");
    resetWeiboSession(session);
  });

  it("does not renew cookies on 418, which is a block of the address", async () => {
    env.sandbox.fail({ match: "/api/container/getIndex", status: 418 });
    const visits = session.visits;
    const r = await crawl(watchlistId, "weibo");
    expect(r.status).toBe("blocked");
    expect(r.message).toMatch(/418/);
    expect(session.visits).toBe(visits);
  });
});

describe("a Weibo crawl without Chromium or cookies", () => {
  it("blocks the source and says to install Chromium or supply a cookie", async () => {
    resetWeiboSession(new WeiboSession({ browser: () => new BrowserPool({ chromiumPath: "/nonexistent/chromium" }) }));
    const app = await upsertApp(env.database.db, { name: "快跑", aliases: ["QuickRun"] });
    const w = await createWatchlist(env.database.db, { appId: app.id, keywords: ["白屏"], sources: ["weibo"], intervalSec: 900, by: "test" });
    const r = await crawl(w.id, "weibo");
    expect(r.status).toBe("blocked");
    expect(r.message).toMatch(/apt-get install -y chromium/);
    expect(r.message).toMatch(/EARSHOT_COOKIE_WEIBO/);
    resetWeiboSession();
  });
});

/** A sandbox and database with two admin Weibo accounts (alice, bob), and a watchlist searching "喵记 闪退". */
async function weiboAccountsEnv(session: WeiboSession): Promise<{ e: CrawlTestEnv; watchlistId: number }> {
  resetWeiboSession(session);
  const e = await createCrawlTestEnv({ ...fastEnv, EARSHOT_COOKIE_WEIBO_ALICE: "SUB=_2Aalice; SUBP=x", EARSHOT_COOKIE_WEIBO_BOB: "SUB=_2Abob; SUBP=y" });
  const app = await upsertApp(e.database.db, { name: "喵记" });
  return { e, watchlistId: (await createWatchlist(e.database.db, { appId: app.id, keywords: ["闪退"], sources: ["weibo"], intervalSec: 900, by: "test" })).id };
}

describe("a Weibo crawl with admin accounts", () => {
  let accEnv: CrawlTestEnv;
  let watchlistId: number;
  beforeAll(async () => {
    ({ e: accEnv, watchlistId } = await weiboAccountsEnv(new WeiboSession()));
  });
  afterAll(async () => {
    resetWeiboSession();
    await accEnv.teardown();
  });

  it("searches the desktop site, rotating to the next account when one is sent to the login page", async () => {
    weiboSandbox(accEnv.sandbox.state).refused.add("_2Aalice");
    const r = await crawl(watchlistId, "weibo", accEnv);
    expect(r.status).toBe("ok");
    expect(paths("/weibo?q=", accEnv).length).toBeGreaterThan(1);
    expect(paths("/weibo?q=", accEnv)[0]!.status).toBe(302);
    const hits = searchFeed("weibo", "喵记 闪退", accEnv.sandbox.state);
    expect(await count("select count(*)::int as n from mention_matches where keyword = '闪退'", accEnv)).toBe(hits.length);
    const long = await count("select count(*)::int as n from mentions where text like '%具体情况是这样的%'", accEnv);
    expect(long).toBeGreaterThan(0);
  });

  it("blocks the source naming every account variable when all accounts are refused", async () => {
    weiboSandbox(accEnv.sandbox.state).refused.add("_2Abob");
    accEnv.sandbox.grow("weibo:喵记", 3);
    const r = await crawl(watchlistId, "weibo", accEnv);
    expect(r.status).toBe("blocked");
    expect(r.message).toMatch(/EARSHOT_COOKIE_WEIBO_ALICE/);
    expect(r.message).toMatch(/EARSHOT_COOKIE_WEIBO_BOB/);
  });
});

describe("a Weibo crawl after repeated errors", () => {
  let errEnv: CrawlTestEnv;
  let watchlistId: number;
  let session: WeiboSession;
  beforeAll(async () => {
    session = new WeiboSession();
    ({ e: errEnv, watchlistId } = await weiboAccountsEnv(session));
  });
  afterAll(async () => {
    resetWeiboSession();
    await errEnv.teardown();
  });
  const account = () => session.current({ config: errEnv.deps.config, fetcher: errEnv.deps.fetcher, log: () => {} }).account;
  /** `n` runs whose first request fails for good (a 500 on each of its attempts, EARSHOT_HTTP_RETRIES=1). */
  const failingRuns = async (n: number) => {
    errEnv.sandbox.fail({ match: "/weibo?q=", status: 500, times: 2 * n });
    for (let i = 0; i < n; i++) await expect(crawl(watchlistId, "weibo", errEnv)).rejects.toThrow(/failed 2 times/);
  };

  it("keeps the account through nine failed requests in a row, and a success ends the streak", async () => {
    await failingRuns(9);
    expect(account()).toBe("alice");
    expect((await crawl(watchlistId, "weibo", errEnv)).status).toBe("ok");
    await failingRuns(1);
    errEnv.sandbox.grow("weibo:喵记", 1);
    expect((await crawl(watchlistId, "weibo", errEnv)).status).toBe("ok");
    expect(account()).toBe("alice");
  });

  it("renews the cookies (the next account) before the request that follows ten failed ones", async () => {
    await failingRuns(10);
    expect(account()).toBe("alice");
    errEnv.sandbox.requests.length = 0;
    const r = await crawl(watchlistId, "weibo", errEnv);
    expect(r.status).toBe("ok");
    expect(account()).toBe("bob");
    // Renewing is not a request of its own: the run asked the site once, with the next account.
    expect(errEnv.sandbox.requests.filter((q) => q.path.startsWith("/weibo?q="))).toHaveLength(1);
  });
});

describe("a Discourse crawl", () => {
  let watchlistId: number;
  beforeAll(async () => {
    const app = await upsertApp(env.database.db, { name: "喵记" });
    const f = await upsertForum(env.database.db, { kind: "discourse", name: "喵记社区", baseUrl: `${env.sandbox.url}/discourse-paged` });
    watchlistId = (await createWatchlist(env.database.db, { appId: app.id, keywords: ["闪退"], sources: ["discourse"], intervalSec: 900, forumIds: [f.id], by: "test" })).id;
  });

  it("pages through search.json newest first and links each post by topic slug, id and post number", async () => {
    const hits = searchFeed("discourse-paged", "喵记 闪退", env.sandbox.state).filter((p) => p.repostOf === null);
    const r = await crawl(watchlistId, "discourse");
    expect(r.status).toBe("ok");
    expect(r.new).toBe(Math.min(hits.length, 25));
    const search = paths("/discourse-paged/search.json");
    expect(search[0]!.path).toContain(encodeURIComponent("喵记 闪退 order:latest"));
    expect(search).toHaveLength(Math.min(5, Math.ceil(hits.length / 5)));
    const row = (await env.database.sql`select external_id, url, title, text from mentions where source = 'discourse' order by published_at desc limit 1`)[0]!;
    expect(row.url).toMatch(new RegExp(`/discourse-paged/t/topic/\\d+/[123]$`));
    expect(row.external_id).toMatch(/^127\.0\.0\.1:\d+\/discourse-paged:\d+$/);
    expect(row.text).not.toMatch(/<span/);
  });

  it("reads one page and stores nothing when nothing is new, then only the new posts", async () => {
    const again = await crawl(watchlistId, "discourse");
    expect([again.new, paths("/search.json").length]).toEqual([0, 1]);
    env.sandbox.grow("discourse-paged:喵记", 10);
    env.sandbox.requests.length = 0;
    const fresh = searchFeed("discourse-paged", "喵记 闪退", env.sandbox.state).filter((p) => p.repostOf === null && p.k >= 120);
    const r = await crawl(watchlistId, "discourse");
    expect(r.new).toBe(fresh.length);
    expect(paths("/search.json")).toHaveLength(Math.floor(fresh.length / 5) + 1);
  });
});

describe("a configured forum crawl", () => {
  const selectors = { item: "li.result-item", title: "h3.result-title a", link: "h3.result-title a", text: ".result-summary", author: ".result-author", date: ".result-date", next: "a.nxt" };
  let appId: number;
  beforeAll(async () => {
    appId = (await upsertApp(env.database.db, { name: "快跑" })).id;
  });

  it("reads a server-rendered search page with the forum's selectors and dates in its zone", async () => {
    const f = await upsertForum(env.database.db, {
      kind: "forum",
      name: "喵友社区",
      baseUrl: `${env.sandbox.url}/forum`,
      config: { searchUrl: `${env.sandbox.url}/forum/search.php?keyword={query}&page={page}`, selectors, dateFormat: "YYYY-MM-DD HH:mm", timeZone: "Asia/Shanghai" },
    });
    const w = await createWatchlist(env.database.db, { appId, keywords: ["卡顿"], sources: ["forum"], intervalSec: 900, forumIds: [f.id], by: "test" });
    const hits = searchFeed("forum", "快跑 卡顿", env.sandbox.state).filter((p) => p.repostOf === null);
    const r = await crawl(w.id, "forum");
    expect([r.status, r.new]).toEqual(["ok", hits.length]);
    const newest = (await env.database.sql`select url, author, title, published_at from mentions where source = 'forum' order by published_at desc limit 1`)[0]!;
    expect(newest.url).toMatch(/\/forum\/thread-\d+-1-1\.html$/);
    expect(new Date(newest.published_at).getTime()).toBe(Math.floor(hits[0]!.at / 60_000) * 60_000);
    const again = await crawl(w.id, "forum");
    expect([again.new, paths("/forum/search.php").length]).toEqual([0, Math.ceil(hits.length / 10) + 1]);
  });

  it("tells the admin which selector matched nothing on a test fetch", async () => {
    const report = await testForum(
      { config: env.deps.config, fetcher: env.deps.fetcher, log: () => {} },
      { id: 99, kind: "forum", name: "broken", baseUrl: env.sandbox.url, config: { searchUrl: `${env.sandbox.url}/forum/search.php?keyword={query}`, selectors: { ...selectors, author: ".poster-name" } } },
      "快跑 卡顿",
    );
    expect(report.matched.item).toBeGreaterThan(0);
    expect(report.problems).toEqual([expect.stringMatching(/selectors\.author "\.poster-name" matched nothing/)]);
    const none = await testForum(
      { config: env.deps.config, fetcher: env.deps.fetcher, log: () => {} },
      { id: 98, kind: "forum", name: "js", baseUrl: env.sandbox.url, config: { searchUrl: `${env.sandbox.url}/forum-js/search?q={query}`, selectors: { item: "article.post-card", title: "a", link: "a", text: ".post-body" } } },
      "快跑 卡顿",
    );
    expect(none.problems[0]).toMatch(/selectors\.item "article\.post-card" matched nothing.*render: true/);
  });

  it.runIf(chromium)("renders a forum whose results are built by script in the browser", async () => {
    const f = await upsertForum(env.database.db, {
      kind: "forum",
      name: "QuickRun Community",
      baseUrl: `${env.sandbox.url}/forum-js`,
      config: {
        searchUrl: `${env.sandbox.url}/forum-js/search?q={query}&page={page}`,
        selectors: { item: "article.post-card", title: ".post-title a", link: ".post-title a", text: ".post-body", author: ".post-user", date: "time.post-time", next: "a.next-page" },
        dateFormat: "DD/MM/YYYY HH:mm",
        timeZone: "Asia/Shanghai",
        render: true,
      },
    });
    const w = await createWatchlist(env.database.db, { appId, keywords: ["闪退"], sources: ["forum"], intervalSec: 900, forumIds: [f.id], by: "test" });
    const hits = searchFeed("forum-js", "快跑 闪退", env.sandbox.state).filter((p) => p.repostOf === null);
    const r = await crawl(w.id, "forum");
    expect([r.status, r.new]).toEqual(["ok", hits.length]);
    expect(paths("/forum-js/banner.png")).toHaveLength(0);
    const log = await count(`select count(*)::int as n from fetch_log where run_id = ${r.runId} and url like '%(browser)'`);
    expect(log).toBe(Math.ceil(hits.length / 10));
  });
});
