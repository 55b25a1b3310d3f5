import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCrawl, type CrawlJobResult } from "../../jobs/crawl.ts";
import { createWatchlist, upsertApp } from "../../src/db/repo/watchlists.ts";
import { RateLimitedError } from "../../src/errors.ts";
import { editStoreReview } from "../../src/sandbox/data.ts";
import { PLAY_INITIAL_REVIEWS, playReviews } from "../../src/sandbox/googleplay.ts";
import { TAPTAP_INITIAL_REVIEWS, taptapReviews } from "../../src/sandbox/taptap.ts";
import { createCrawlTestEnv, type CrawlTestEnv, endBlocks } from "../helpers/crawl.ts";

let env: CrawlTestEnv;
let play: number;
let tapCn: number;
let tapIntl: number;
let job = 0;
const PKG = "com.example.meownote";
const EN = `googleplay:${PKG}:en-us`;
const JA = `googleplay:${PKG}:ja-jp`;
const CN = "taptap:210001:cn";
const INTL = "taptap:210002:intl";

const crawl = (watchlistId: number, source: string) =>
  runCrawl(env.deps, { id: `store-${++job}`, data: { watchlistId, source }, attemptsMade: 0 });
/** A run that may throw: its result or error, and the crawl_runs row it left. */
const attempt = async (watchlistId: number, source: string) => {
  let result: CrawlJobResult | null = null;
  let error: unknown = null;
  try {
    result = await crawl(watchlistId, source);
  } catch (err) {
    error = err;
  }
  const [run] = await env.database.sql`select status, error from crawl_runs order by id desc limit 1`;
  return { result, error, status: run!.status as string, message: (result?.message ?? run!.error ?? "") as string };
};
const playRequests = () => env.sandbox.requests.filter((r) => r.path.startsWith("/_/PlayStoreUi/data/batchexecute"));
const tapRequests = () => env.sandbox.requests.filter((r) => r.path.startsWith("/webapiv2/"));
const count = async (where: string) => Number((await env.database.sql.unsafe(`select count(*)::int as n from mentions where ${where}`))[0]!.n);
const unblock = () => endBlocks(env.database.sql);

beforeAll(async () => {
  env = await createCrawlTestEnv({
    EARSHOT_POLITENESS_GOOGLEPLAY: "4/0",
    EARSHOT_POLITENESS_TAPTAP: "4/0",
    // Short enough that the slow-body knob times out quickly; far above what a sandbox page takes.
    EARSHOT_HTTP_TIMEOUT: "1500ms",
  });
  const { db } = env.database;
  const meow = await upsertApp(db, { name: "喵记", aliases: ["MeowNote"], playPackage: PKG, playLangs: ["en-us", "ja-jp"], taptapId: "210001", taptapRegion: "cn" });
  const quick = await upsertApp(db, { name: "快跑", aliases: ["QuickRun"], taptapId: "210002", taptapRegion: "intl" });
  const watch = async (appId: number, keywords: string[], source: string) =>
    (await createWatchlist(db, { appId, keywords, sources: [source], intervalSec: 900, by: "test" })).id;
  play = await watch(meow.id, ["crash", "起動"], "googleplay");
  tapCn = await watch(meow.id, ["闪退"], "taptap");
  tapIntl = await watch(quick.id, [], "taptap");
});
afterAll(() => env.teardown());
beforeEach(() => {
  env.sandbox.clearFaults();
  env.sandbox.requests.length = 0;
});

describe("a Google Play crawl", () => {
  it("reads every page of every language on the first run, keeping reviews repeated across pages once", async () => {
    const r = await crawl(play, "googleplay");
    expect(r.status).toBe("ok");
    // 320 reviews: 150, then 150 starting two reviews back, then the last 24.
    expect(playRequests()).toHaveLength(2 * 3);
    expect([r.new, r.seen]).toEqual([2 * PLAY_INITIAL_REVIEWS, 2 * PLAY_INITIAL_REVIEWS]);
    expect(await count("source = 'googleplay'")).toBe(2 * PLAY_INITIAL_REVIEWS);
    expect(await count("source = 'googleplay' and app_version is null")).toBeGreaterThan(0);
    expect(await count("source = 'googleplay' and text ~ '[ぁ-んァ-ン]'")).toBeGreaterThan(0); // the ja-jp list
  });

  it("keeps every review, whatever its text, and marks the ones containing a keyword", async () => {
    const matches = await env.database.sql`
      select mm.keyword, count(*)::int as n, count(*) filter (where m.rating <= 2)::int as low
      from mention_matches mm join mentions m on m.id = mm.mention_id
      where mm.watchlist_id = ${play} group by mm.keyword order by mm.keyword`;
    const all = matches.find((m) => m.keyword === "")!;
    expect(all.n).toBe(2 * PLAY_INITIAL_REVIEWS);
    expect(all.low).toBe(await count("source = 'googleplay' and rating <= 2"));
    const crash = await count("source = 'googleplay' and text ilike '%crash%'");
    expect(crash).toBeGreaterThan(0);
    expect(matches.find((m) => m.keyword === "crash")?.n).toBe(crash);
  });

  it("makes one request per language and stores nothing when nothing is new", async () => {
    const r = await crawl(play, "googleplay");
    expect(playRequests()).toHaveLength(2);
    expect([r.status, r.new, r.seen, r.requests]).toEqual(["ok", 0, 0, 2]);
  });

  it("collects exactly the reviews that appeared since the last run, nothing twice", async () => {
    env.sandbox.grow(EN, 200); // more than a page
    env.sandbox.grow(JA, 3);
    const r = await crawl(play, "googleplay");
    expect(r.new).toBe(203);
    expect(playRequests()).toHaveLength(2 + 1);
    expect(await count("source = 'googleplay'")).toBe(2 * PLAY_INITIAL_REVIEWS + 203);
    expect((await crawl(play, "googleplay")).new).toBe(0);
  });

  it("updates an edited review in place and keeps its earlier text and rating in the history", async () => {
    const state = env.sandbox.state;
    const before = playReviews(state, PKG, "en", "us").find((r) => r.index === 42)!;
    editStoreReview(state, EN, 42, { text: "Edited: it now crashes on launch every single time.", rating: 1 });
    const r = await crawl(play, "googleplay");
    expect([r.new, r.requests]).toEqual([0, 2]);
    const [row] = await env.database.sql`select id, text, rating from mentions where source = 'googleplay' and external_id = ${before.id}`;
    expect([row!.text, row!.rating]).toEqual(["Edited: it now crashes on launch every single time.", 1]);
    const history = await env.database.sql`select text, rating from mention_revisions where mention_id = ${row!.id}`;
    expect(history.map((h) => [h.rating, (h.text as string).slice(0, 20)])).toEqual([[before.rating, before.text.slice(0, 20)]]);
    expect(await count("source = 'googleplay'")).toBe(2 * PLAY_INITIAL_REVIEWS + 203);
  });
});

describe("a TapTap crawl", () => {
  it("reads the CN and the international list of each app on the first run", async () => {
    const [cn, intl] = [await crawl(tapCn, "taptap"), await crawl(tapIntl, "taptap")];
    expect([cn.status, cn.new, intl.status, intl.new]).toEqual(["ok", TAPTAP_INITIAL_REVIEWS, "ok", TAPTAP_INITIAL_REVIEWS]);
    const pages = TAPTAP_INITIAL_REVIEWS / 10;
    expect(tapRequests().filter((r) => r.path.includes("/review/v2/list-by-app"))).toHaveLength(pages);
    expect(tapRequests().filter((r) => r.path.includes("/feeds/v3/by-app"))).toHaveLength(pages);
    expect(await count("source = 'taptap' and external_id like 'cn:%'")).toBe(TAPTAP_INITIAL_REVIEWS);
    expect(await count("source = 'taptap' and external_id like 'intl:%' and title is not null")).toBe(TAPTAP_INITIAL_REVIEWS);
  });

  it("makes one request per app when nothing is new, and reads only the new reviews after", async () => {
    const idle = [await crawl(tapCn, "taptap"), await crawl(tapIntl, "taptap")];
    expect(idle.map((r) => [r.new, r.requests])).toEqual([[0, 1], [0, 1]]);
    env.sandbox.grow(CN, 15);
    env.sandbox.grow(INTL, 2);
    env.sandbox.requests.length = 0;
    const [cn, intl] = [await crawl(tapCn, "taptap"), await crawl(tapIntl, "taptap")];
    expect([cn.new, cn.requests, intl.new, intl.requests]).toEqual([15, 2, 2, 1]);
    expect(await count("source = 'taptap'")).toBe(2 * TAPTAP_INITIAL_REVIEWS + 17);
  });

  it("takes an edit of the newest review, the one the cursor marks, and still makes one request", async () => {
    const newest = taptapReviews(env.sandbox.state, "210002", "intl")[0]!;
    editStoreReview(env.sandbox.state, INTL, newest.index, { text: "Edited after the patch: it crashes on every match now.", rating: 1 });
    const r = await crawl(tapIntl, "taptap");
    expect([r.new, r.seen, r.requests]).toEqual([0, 1, 1]);
    const [row] = await env.database.sql`select text, rating from mentions where source = 'taptap' and external_id = ${`intl:${newest.reviewId}`}`;
    expect([row!.text, row!.rating]).toEqual(["Edited after the patch: it crashes on every match now.", 1]);
    expect((await crawl(tapIntl, "taptap")).seen).toBe(0);
  });

  it("reads a GBK-encoded answer with its Chinese text intact", async () => {
    env.sandbox.grow(CN, 4);
    env.sandbox.fail({ match: "/review/v2/list-by-app", charset: "gbk" });
    const r = await crawl(tapCn, "taptap");
    expect([r.status, r.new]).toEqual(["ok", 4]);
    const newest = taptapReviews(env.sandbox.state, "210001", "cn")[0]!;
    const [row] = await env.database.sql`select text from mentions where source = 'taptap' and external_id = ${`cn:${newest.reviewId}`}`;
    expect(row!.text).toBe(newest.text.replace("，", "，\n"));
  });
});

describe("a failing store", () => {
  /** Each knob: three new reviews wait; the failing run ends as expected; the next clean run gets the three exactly once. */
  const knobs: {
    name: string;
    feed: string;
    watch: () => number;
    source: string;
    fault: Parameters<CrawlTestEnv["sandbox"]["fail"]>[0];
    status: string;
    message: RegExp;
  }[] = [
    { name: "a 403", feed: CN, watch: () => tapCn, source: "taptap", fault: { match: "/review/v2/", status: 403, body: "Forbidden" }, status: "blocked", message: /403/ },
    {
      name: "a captcha page",
      feed: EN,
      watch: () => play,
      source: "googleplay",
      fault: { match: "batchexecute", body: '<html><head><title>安全验证</title></head><body><div id="captcha"></div></body></html>', headers: { "content-type": "text/html; charset=utf-8" } },
      status: "blocked",
      message: /captcha/,
    },
    { name: "a 503", feed: EN, watch: () => play, source: "googleplay", fault: { match: "batchexecute", status: 503 }, status: "failed", message: /503/ },
    { name: "a truncated body", feed: CN, watch: () => tapCn, source: "taptap", fault: { match: "/review/v2/", truncate: true }, status: "failed", message: /failed 2 times/ },
    { name: "a body that stalls past the timeout", feed: INTL, watch: () => tapIntl, source: "taptap", fault: { match: "/feeds/v3/", stallMs: 2500 }, status: "failed", message: /failed 2 times/ },
    { name: "a 10 MB body", feed: EN, watch: () => play, source: "googleplay", fault: { match: "batchexecute", bodyBytes: 10 * 1024 * 1024 }, status: "failed", message: /over the \d+-byte limit/ },
    { name: "a cut JSON payload", feed: CN, watch: () => tapCn, source: "taptap", fault: { match: "/review/v2/", body: '{"success":true,"data":{"list":[' }, status: "failed", message: /not valid JSON/ },
    { name: "a changed Play envelope", feed: JA, watch: () => play, source: "googleplay", fault: { match: "hl=ja", body: `)]}'\n\n[["wrb.fr","xyz",null]]` }, status: "failed", message: /no "UsvDTd" result/ },
  ];

  for (const k of knobs) {
    it(`ends the run on ${k.name} as ${k.status} with a message that says why, and loses and doubles nothing`, async () => {
      const before = await count(`source = '${k.source}'`);
      env.sandbox.grow(k.feed, 3);
      env.sandbox.fail(k.fault);
      const failed = await attempt(k.watch(), k.source);
      expect(failed.status).toBe(k.status);
      expect(failed.message).toMatch(k.message);
      env.sandbox.clearFaults();
      await unblock();
      const clean = await crawl(k.watch(), k.source);
      expect(clean.status).toBe("ok");
      expect(await count(`source = '${k.source}'`)).toBe(before + 3);
    });
  }

  it("waits out a short Retry-After inside the request and finishes the run", async () => {
    env.sandbox.grow(CN, 2);
    env.sandbox.fail({ match: "/review/v2/", status: 429, headers: { "Retry-After": "1" }, times: 1 });
    const r = await crawl(tapCn, "taptap");
    expect([r.status, r.new]).toEqual(["ok", 2]);
    expect(tapRequests().filter((q) => q.status === 429)).toHaveLength(1);
  });

  // Last: the host stays paused for the Retry-After it was given.
  it("hands a long Retry-After to the queue as a RateLimitedError and records the run", async () => {
    env.sandbox.fail({ match: "batchexecute", status: 429, headers: { "Retry-After": "120" } });
    const r = await attempt(play, "googleplay");
    expect(r.error).toBeInstanceOf(RateLimitedError);
    expect(r.status).toBe("rate_limited");
    expect(r.message).toMatch(/wait 2m|120/);
  });
});
