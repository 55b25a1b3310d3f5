import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCrawl } from "../../jobs/crawl.ts";
import { createWatchlist, upsertApp } from "../../src/db/repo/watchlists.ts";
import { RateLimitedError } from "../../src/errors.ts";
import { INITIAL_REVIEWS, appstoreReviewCount } from "../../src/sandbox/appstore.ts";
import { createCrawlTestEnv, type CrawlTestEnv, endBlocks } from "../helpers/crawl.ts";

let env: CrawlTestEnv;
let watchlistId: number;
let job = 0;
const crawl = (id = watchlistId) => runCrawl(env.deps, { id: `test-${++job}`, data: { watchlistId: id, source: "appstore" }, attemptsMade: 0 });
const feedRequests = () => env.sandbox.requests.filter((r) => r.path.includes("/rss/customerreviews/"));
const count = async (q: string) => Number((await env.database.sql.unsafe(q))[0]!.n);

beforeAll(async () => {
  env = await createCrawlTestEnv();
  // By name only: the App Store id is found through the iTunes Search API.
  const app = await upsertApp(env.database.db, { name: "喵记", aliases: ["MeowNote"], appstoreCountries: ["cn", "us"] });
  watchlistId = (
    await createWatchlist(env.database.db, { appId: app.id, keywords: ["闪退", "crash"], sources: ["appstore"], intervalSec: 900, by: "test" })
  ).id;
});
afterAll(() => env.teardown());
beforeEach(() => {
  env.sandbox.clearFaults();
  env.sandbox.requests.length = 0;
});

describe("an App Store crawl", () => {
  it("reads every page of every storefront on the first run and resolves the app id from its name", async () => {
    const r = await crawl();
    expect(r.status).toBe("ok");
    const pagesPerStore = Math.ceil(INITIAL_REVIEWS / 50);
    expect(feedRequests()).toHaveLength(2 * pagesPerStore);
    expect(r.new).toBe(2 * INITIAL_REVIEWS);
    expect(await count("select count(*)::int as n from mentions where source = 'appstore'")).toBe(2 * INITIAL_REVIEWS);
    expect(await count("select count(*)::int as n from apps where appstore_id = '1500000001'")).toBe(1);
    const run = (await env.database.sql`select * from crawl_runs where id = ${r.runId}`)[0]!;
    expect([run.status, run.items_new, run.pages_fetched]).toEqual(["ok", 2 * INITIAL_REVIEWS, 2 * pagesPerStore]);
    expect(await count(`select count(*)::int as n from fetch_log where run_id = ${r.runId}`)).toBe(r.requests);
  });

  it("keeps every review as a feed match and marks the ones that contain a keyword", async () => {
    const byKeyword = await env.database.sql`
      select keyword, count(*)::int as n from mention_matches where watchlist_id = ${watchlistId} group by keyword order by keyword`;
    const feed = byKeyword.find((k) => k.keyword === "")!;
    expect(feed.n).toBe(2 * INITIAL_REVIEWS);
    const crash = await count(`select count(*)::int as n from mentions where source = 'appstore' and (text ilike '%crash%' or title ilike '%crash%')`);
    expect(byKeyword.find((k) => k.keyword === "crash")?.n ?? 0).toBe(crash);
    expect(crash).toBeGreaterThan(0);
  });

  it("makes one request per storefront and stores nothing when nothing is new", async () => {
    const r = await crawl();
    expect(feedRequests()).toHaveLength(2);
    expect([r.status, r.new, r.seen]).toEqual(["ok", 0, 0]);
  });

  it("collects exactly the reviews that appeared since the last run, nothing twice", async () => {
    env.sandbox.grow("appstore:1500000001:cn", 7);
    env.sandbox.grow("appstore:1500000001:us", 60); // more than a page
    const r = await crawl();
    expect(r.new).toBe(67);
    expect(feedRequests()).toHaveLength(1 + 2);
    expect(await count("select count(*)::int as n from mentions where source = 'appstore'")).toBe(2 * INITIAL_REVIEWS + 67);
    const again = await crawl();
    expect(again.new).toBe(0);
  });

  it("ends a blocked run with advice, pauses the source, and fetches nothing while it is paused", async () => {
    env.sandbox.fail({ match: "/rss/customerreviews/", status: 403, body: "Forbidden" });
    const r = await crawl();
    expect(r.status).toBe("blocked");
    expect(r.message).toMatch(/403/);
    const health = await env.database.sql`select state, blocked_until from source_health where source = 'appstore'`;
    expect(health[0]!.state).toBe("blocked");
    env.sandbox.clearFaults();
    env.sandbox.requests.length = 0;
    const paused = await crawl();
    expect(paused.status).toBe("blocked");
    expect(paused.message).toMatch(/paused/);
    expect(env.sandbox.requests).toHaveLength(0);
    await endBlocks(env.database.sql);
    const recovered = await crawl();
    expect(recovered.status).toBe("ok");
    expect((await env.database.sql`select state from source_health where source = 'appstore'`)[0]!.state).toBe("ok");
  });

  describe("with the JSON feed's empty pages", () => {
    // A watchlist of its own starts without cursors, so its run reads every page again.
    const freshWatchlist = async (keyword: string, app = { name: "喵记" } as Parameters<typeof upsertApp>[1]) =>
      (await createWatchlist(env.database.db, { appId: (await upsertApp(env.database.db, app)).id, keywords: [keyword], sources: ["appstore"], intervalSec: 900, by: "test" })).id;
    const pagesAsked = (cc: string) => feedRequests().filter((r) => r.path.startsWith(`/${cc}/`)).map((r) => Number(/page=(\d+)/.exec(r.path)![1]));
    const total = () => appstoreReviewCount(env.sandbox.state, "1500000001", "cn") + appstoreReviewCount(env.sandbox.state, "1500000001", "us");

    it("asks an empty page inside the list once more and reads on", async () => {
      env.sandbox.fail({ match: "/cn/rss/customerreviews/page=2/", noEntries: true, times: 1 });
      const r = await crawl(await freshWatchlist("empty-once"));
      expect(r.status).toBe("ok");
      expect(pagesAsked("cn")).toEqual([1, 2, 2, 3, 4, 5]);
      expect(r.seen).toBe(total());
    });

    it("skips a page that stays empty when the feed's last link says more pages follow", async () => {
      env.sandbox.fail({ match: "/cn/rss/customerreviews/page=3/", noEntries: true });
      const r = await crawl(await freshWatchlist("empty-twice"));
      expect(r.status).toBe("ok");
      expect(pagesAsked("cn")).toEqual([1, 2, 3, 3, 4, 5]);
      expect(r.seen).toBe(total() - 50);
    });

    it("stops at an empty last page, and at an empty feed with no last link, without asking again", async () => {
      env.sandbox.fail({ match: "/cn/rss/customerreviews/page=5/", noEntries: true });
      await crawl(await freshWatchlist("empty-last"));
      expect(pagesAsked("cn")).toEqual([1, 2, 3, 4, 5]);
      env.sandbox.requests.length = 0;
      const none = await crawl(await freshWatchlist("no-reviews", { name: "无评论", appstoreId: "1599999999", appstoreCountries: ["cn"] }));
      expect([none.status, none.seen]).toEqual(["ok", 0]);
      expect(pagesAsked("cn")).toEqual([1]);
    });
  });

  it("records malformed JSON as a failed run with a message that says what was wrong", async () => {
    env.sandbox.fail({ match: "/rss/customerreviews/", body: '{"feed": {"entry": [' });
    await expect(crawl()).rejects.toThrow(/not valid JSON/);
    const [run] = await env.database.sql`select status, error from crawl_runs order by id desc limit 1`;
    expect(run!.status).toBe("failed");
    expect(await count("select count(*)::int as n from mentions where source = 'appstore'")).toBe(2 * INITIAL_REVIEWS + 67);
  });
  // Last: the host stays paused for the Retry-After it was given.
  it("hands a long Retry-After to the queue as a RateLimitedError and records the run", async () => {
    env.sandbox.fail({ match: "/rss/customerreviews/", status: 429, headers: { "Retry-After": "120" } });
    await expect(crawl()).rejects.toBeInstanceOf(RateLimitedError);
    const [run] = await env.database.sql`select status, error from crawl_runs order by id desc limit 1`;
    expect(run!.status).toBe("rate_limited");
    expect(run!.error).toMatch(/120|2m|minute/);
  });

});
