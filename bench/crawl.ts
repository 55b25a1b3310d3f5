/**
 * Crawl bench: 200 watchlists on every source earshot has, against the local sandbox, through
 * the real crawl job, fetcher, pipeline and a scratch database. Each watchlist is an app of its
 * own with feeds of its own: one store (App Store, Google Play or TapTap, in turn), Weibo, a
 * Tieba search and the app's 吧, a Discourse forum and a configured forum, searched for two
 * keywords. Measures requests and wall time of a first run, an unchanged rerun and a rerun after
 * 1 % new items, per source, checks that the unchanged rerun costs one request per (watchlist,
 * source, scope) and that the last run finds every new item and nothing twice, then how fast each
 * format parses; per store, requests per new mention (1 %-new rerun) and run time summed over its
 * runs. Prints one JSON line per figure, then readable tables.
 *
 *   npm run bench:crawl [-- --watchlists 200 --concurrency 4]
 */
import { Redis } from "ioredis";
import { pino } from "pino";
import { runCrawl, type CrawlDeps } from "../jobs/crawl.ts";
import { noAlerts } from "../src/alerts/stage.ts";
import { formatTable } from "../src/cli/table.ts";
import { loadConfig, sourceEnvKey } from "../src/config.ts";
import { openDatabase } from "../src/db/client.ts";
import { createFetcher } from "../src/fetch/index.ts";
import { INITIAL_REVIEWS } from "../src/sandbox/appstore.ts";
import { PLAY_INITIAL_REVIEWS } from "../src/sandbox/googleplay.ts";
import { INITIAL_POSTS, searchFeed, type SocialPost } from "../src/sandbox/posts.ts";
import { startSandbox } from "../src/sandbox/server.ts";
import { tiebaFirstPage, tiebaKey, tiebaSearchHits, tiebaThread, tiebaTid } from "../src/sandbox/tieba.ts";
import { TAPTAP_INITIAL_REVIEWS } from "../src/sandbox/taptap.ts";
import { parseAppstoreFeed } from "../src/sources/appstore.ts";
import { parseDiscourseSearch, discourseSearchUrl } from "../src/sources/discourse.ts";
import { parseGooglePlayReviews, playReviewsRequestBody, playReviewsUrl } from "../src/sources/googleplay.ts";
import { sources } from "../src/sources/index.ts";
import { parseTaptapReviews, taptapReviewsUrl } from "../src/sources/taptap.ts";
import { weibo, weiboDesktopUrl } from "../src/sources/weibo.ts";
import { deleteKeys } from "../test/helpers/env.ts";
import { BENCH_SOCIAL, BENCH_STORES, report, scratchDatabase, seedSandboxWatchlists, type BenchStore, type Figure } from "./lib.ts";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const WATCHLISTS = arg("--watchlists", 200);
const CONCURRENCY = arg("--concurrency", 4);
const KEYWORDS = ["闪退", "卡顿"];
const STORES = BENCH_STORES;
type Store = BenchStore;
const SOCIAL = BENCH_SOCIAL;
const ALL = [...STORES, ...SOCIAL] as const;
type Source = (typeof ALL)[number];
const INITIAL: Record<Store, number> = { appstore: INITIAL_REVIEWS, googleplay: PLAY_INITIAL_REVIEWS, taptap: TAPTAP_INITIAL_REVIEWS };
/** Social feeds start with INITIAL_POSTS; 1 % of that, rounded up to a whole post. */
const SOCIAL_GROWTH = Math.max(1, Math.round(INITIAL_POSTS / 100));

const figures: Figure[] = [];
const figure = (name: string, value: number, unit: string) => figures.push({ figure: name, value, unit });
const say = (line: string) => console.error(line);

// ---- scratch database, queue prefix and sandbox ----
const scratch = await scratchDatabase("crawl");
const sandbox = await startSandbox();
const prefix = `bench-crawl-${Date.now().toString(36)}`;
const env: NodeJS.ProcessEnv = { ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}), DATABASE_URL: scratch.url, EARSHOT_QUEUE_PREFIX: prefix, EARSHOT_SANDBOX_URL: sandbox.url, LOG_LEVEL: "silent" };
// The sandbox is local: no spacing between requests, as the demo does.
for (const id of ALL) env[`EARSHOT_POLITENESS_${sourceEnvKey(id)}`] = "8/0";
// A logged-in Weibo cookie: the desktop search, which needs no browser (the sandbox knows "_2A" cookies).
env.EARSHOT_COOKIE_WEIBO = "SUB=_2Abench; SUBP=bench";
const config = loadConfig(env);
const database = openDatabase(config.databaseUrl);
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
const fetcher = createFetcher({
  redis,
  prefix: config.queuePrefix,
  config,
  politeness: Object.fromEntries([...sources.values()].map((s) => [s.id, s.politeness])),
});
const deps: CrawlDeps = { config, database, fetcher, alertStage: noAlerts, logger: pino({ level: "silent" }), blockBackoffMs: config.fetch.blockBackoffMs };

interface RunTotals {
  requests: number;
  ms: number;
  new: number;
  seen: number;
  failed: number;
}
const emptyTotals = (): RunTotals => ({ requests: 0, ms: 0, new: 0, seen: 0, failed: 0 });

try {
  const targets = await seedSandboxWatchlists(database.db, sandbox, { count: WATCHLISTS, keywords: KEYWORDS });
  const jobs = targets.flatMap((t) => [t.store, ...SOCIAL].map((source) => ({ target: t, source: source as Source })));

  // Scopes per (watchlist, source), as the sources plan them: a store feed each; Weibo a search
  // per keyword; Tieba a search per keyword and the 吧; each forum a search per keyword.
  const scopesOf: Record<Source, number> = { appstore: 1, googleplay: 1, taptap: 1, weibo: KEYWORDS.length, tieba: KEYWORDS.length + 1, discourse: KEYWORDS.length, forum: KEYWORDS.length };
  const scopes: Record<string, number> = {};
  for (const j of jobs) scopes[j.source] = (scopes[j.source] ?? 0) + scopesOf[j.source];
  const totalScopes = Object.values(scopes).reduce((a, b) => a + b, 0);

  let jobSeq = 0;
  const runAll = async () => {
    const per = new Map<string, RunTotals>(ALL.map((s) => [s, emptyTotals()]));
    const seenByJob = new Map<string, number>();
    const before = sandbox.requests.filter((r) => r.path !== "/robots.txt").length;
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < jobs.length) {
          const { target, source } = jobs[next++]!;
          const t = per.get(source)!;
          const started = performance.now();
          try {
            const r = await runCrawl(deps, { id: `bench-${++jobSeq}`, data: { watchlistId: target.watchlistId, source, trigger: "manual" }, attemptsMade: 0 });
            t.requests += r.requests;
            t.new += r.new;
            t.seen += r.seen;
            seenByJob.set(`${target.watchlistId}:${source}`, r.seen);
            if (r.status !== "ok") {
              t.failed++;
              say(`${source} watchlist ${target.watchlistId}: ${r.status} ${r.message ?? ""}`);
            }
          } catch (err) {
            t.failed++;
            say(`${source} watchlist ${target.watchlistId}: ${(err as Error).message}`);
          }
          t.ms += performance.now() - started;
        }
      }),
    );
    const ms = performance.now() - start;
    const requests = sandbox.requests.filter((r) => r.path !== "/robots.txt").length - before;
    const sum = (k: keyof RunTotals) => [...per.values()].reduce((a, t) => a + t[k], 0);
    return { ms, requests, new: sum("new"), seen: sum("seen"), failed: sum("failed"), per, seenByJob };
  };
  type Run = Awaited<ReturnType<typeof runAll>>;
  const perSourceRows: (string | number)[][] = [];
  const perSource = (label: string, run: Run) => {
    for (const s of ALL) {
      const t = run.per.get(s)!;
      const perMention = t.new > 0 ? (t.requests / t.new).toFixed(2) : "";
      perSourceRows.push([label, s, scopes[s] ?? 0, t.requests, ((t.requests / (scopes[s] ?? 1)) || 0).toFixed(2), t.seen, t.new, perMention, t.failed, (t.ms / 1000).toFixed(1)]);
    }
  };

  say(`first run: ${targets.length} watchlists × ${1 + SOCIAL.length} sources = ${jobs.length} runs, ${totalScopes} scopes, ${CONCURRENCY} at a time…`);
  const first = await runAll();
  perSource("first", first);
  figure("crawl_watchlists", targets.length, "watchlists");
  figure("crawl_scopes", totalScopes, "scopes");
  figure("crawl_first_run_requests", first.requests, "requests");
  figure("crawl_first_run_ms", first.ms, "ms");
  figure("crawl_first_run_mentions", first.new, "mentions");
  figure("crawl_first_run_mentions_per_s", first.new / (first.ms / 1000), "mentions/s");

  say("unchanged rerun…");
  const unchanged = await runAll();
  perSource("unchanged", unchanged);
  figure("crawl_unchanged_requests", unchanged.requests, "requests");
  figure("crawl_unchanged_ms", unchanged.ms, "ms");
  figure("crawl_unchanged_requests_per_scope", unchanged.requests / totalScopes, "requests/scope");
  figure("crawl_unchanged_new_mentions", unchanged.new, "mentions");
  for (const s of ALL) {
    const t = unchanged.per.get(s)!;
    if (t.requests !== scopes[s]) say(`target missed: the unchanged rerun of ${s} made ${t.requests} requests for ${scopes[s]} scopes`);
  }

  // 1 % new: every store feed grows by 1 % of its size, every social feed by one post.
  const expected = new Map<string, number>();
  let grownStore = 0;
  for (const t of targets) {
    const n = Math.max(1, Math.round(INITIAL[t.store] / 100));
    sandbox.grow(t.storeFeed, n);
    grownStore += n;
    expected.set(`${t.watchlistId}:${t.store}`, n);
    for (const site of ["weibo", "tieba", "tieba-bar", "discourse", "forum"]) sandbox.grow(`${site}:${t.name}`, SOCIAL_GROWTH);
  }
  // What each social scope's search now shows above what it showed before, as its site serves it.
  const fresh = (posts: SocialPost[], originalsOnly: boolean) => posts.filter((p) => p.k >= INITIAL_POSTS && (!originalsOnly || p.repostOf === null)).length;
  const state = sandbox.state;
  // Tieba: a new thread comes with its first page's floors (its hits and replies, one item each per scope).
  const withFloors = (keys: string[], threads: SocialPost[]) => new Set([...keys, ...threads.flatMap((p) => tiebaFirstPage(p, state).map(tiebaKey))]).size;
  const tiebaSearch = (q: string) => {
    const hits = tiebaSearchHits(q, state).filter((h) => tiebaThread(h.tid, state)!.k >= INITIAL_POSTS);
    return withFloors(hits.map(tiebaKey), [...new Set(hits.map((h) => h.tid))].map((tid) => tiebaThread(tid, state)!));
  };
  for (const t of targets) {
    const per = (site: string, originalsOnly: boolean) => KEYWORDS.reduce((a, k) => a + fresh(searchFeed(site, `${t.name} ${k}`, state), originalsOnly), 0);
    const barNew = searchFeed("tieba-bar", t.name, state).filter((p) => p.k >= INITIAL_POSTS && p.repostOf === null);
    expected.set(`${t.watchlistId}:weibo`, per("weibo", false));
    expected.set(`${t.watchlistId}:tieba`, KEYWORDS.reduce((a, k) => a + tiebaSearch(`${t.name} ${k}`), 0) + withFloors(barNew.map(tiebaTid), barNew));
    expected.set(`${t.watchlistId}:discourse`, per("discourse", true));
    expected.set(`${t.watchlistId}:forum`, per("forum", true));
  }
  const expectedItems = [...expected.values()].reduce((a, b) => a + b, 0);
  say(`1 % new: ${grownStore} store reviews and ${targets.length * 5 * SOCIAL_GROWTH} social posts added; ${expectedItems} (watchlist, item) pairs to find…`);
  const onePct = await runAll();
  perSource("1% new", onePct);
  // Items are cut at the cursor by position, newest first: per (watchlist, source) the count of
  // items taken equals the count added exactly when every new item and no old one was taken.
  let missed = 0;
  let again = 0;
  for (const [key, want] of expected) {
    const got = onePct.seenByJob.get(key) ?? 0;
    if (got < want) missed += want - got;
    else again += got - want;
  }
  const doubled = Number((await database.sql`select count(*)::int as n from (select 1 from mentions group by source, external_id having count(*) > 1) d`)[0]!.n);
  figure("crawl_1pct_new_requests", onePct.requests, "requests");
  figure("crawl_1pct_new_ms", onePct.ms, "ms");
  figure("crawl_1pct_new_expected_items", expectedItems, "items");
  figure("crawl_1pct_new_items_found", onePct.seen, "items");
  figure("crawl_1pct_new_items_missed", missed, "items");
  figure("crawl_1pct_new_items_taken_twice", again, "items");
  figure("crawl_1pct_new_mentions", onePct.new, "mentions");
  figure("crawl_requests_per_new_mention", onePct.requests / Math.max(1, onePct.new), "requests/mention");
  figure("crawl_duplicate_mention_rows", doubled, "rows");
  // Per store: what polling costs each one, and where its runs' time goes. Run time is summed over
  // the store's runs, which overlap with the other sources' CONCURRENCY at a time.
  for (const s of STORES) {
    const [f, u, n] = [first, unchanged, onePct].map((run) => run.per.get(s)!);
    figure(`crawl_${s}_requests_per_new_mention`, n!.requests / Math.max(1, n!.new), "requests/mention");
    figure(`crawl_${s}_first_run_ms`, f!.ms, "ms (summed over runs)");
    figure(`crawl_${s}_unchanged_ms`, u!.ms, "ms (summed over runs)");
    figure(`crawl_${s}_1pct_new_ms`, n!.ms, "ms (summed over runs)");
  }
  const failed = first.failed + unchanged.failed + onePct.failed;
  figure("crawl_failed_runs", failed, "runs");

  // ---- parse throughput per format, on sandbox pages of each ----
  const appstoreUrl = `${sandbox.url}/us/rss/customerreviews/page=2/id=1500000001/sortby=mostrecent/json`;
  const appstoreBody = await (await fetch(appstoreUrl)).text();
  const playUrl = playReviewsUrl(sandbox.url, "en", "us");
  const playBody = await (
    await fetch(playUrl, { method: "POST", body: playReviewsRequestBody("com.example.meownote", null), headers: { "content-type": "application/x-www-form-urlencoded" } })
  ).text();
  const tapUrl = taptapReviewsUrl(sandbox.url, "cn", "210001");
  const tapBody = await (await fetch(tapUrl)).text();
  const weiboUrl = weiboDesktopUrl(sandbox.url, "喵记", 1);
  const weiboBody = await (await fetch(weiboUrl, { headers: { cookie: env.EARSHOT_COOKIE_WEIBO! } })).text();
  const discourseUrl = discourseSearchUrl(`${sandbox.url}/discourse`, "喵记 闪退", 1);
  const discourseBody = await (await fetch(discourseUrl)).text();
  const parsers: [string, () => number][] = [
    ["appstore", () => parseAppstoreFeed(appstoreBody, appstoreUrl).items.length],
    ["googleplay", () => parseGooglePlayReviews(playBody, { url: playUrl, packageName: "com.example.meownote" }).items.length],
    ["taptap", () => parseTaptapReviews(tapBody, tapUrl).items.length],
    ["weibo", () => weibo.parse(weiboBody, weiboUrl).length],
    ["discourse", () => parseDiscourseSearch(discourseBody, discourseUrl, `${sandbox.url}/discourse`).items.length],
  ];
  for (const [format, parse] of parsers) {
    const until = (ms: number) => {
      let items = 0;
      const start = performance.now();
      while (performance.now() - start < ms) items += parse();
      return items / ((performance.now() - start) / 1000);
    };
    until(200); // warm up
    figure(`parse_${format}_items_per_s`, until(1000), "items/s");
  }

  report(`crawl bench: ${targets.length} watchlists on ${1 + SOCIAL.length} sources each, ${CONCURRENCY} runs at a time, sandbox with no spacing`, figures);
  say("\nper source (scopes: cursors the runs page through; requests/scope is the target of the unchanged rerun)");
  // Run time summed over a source's runs (they overlap, CONCURRENCY at a time): where a run's time goes.
  say(formatTable(["run", "source", "scopes", "requests", "requests/scope", "items taken", "new mentions", "requests/new mention", "failed", "run s"], perSourceRows));
  if (failed > 0 || missed > 0 || again > 0 || doubled > 0 || unchanged.requests !== totalScopes) process.exitCode = 1;
} finally {
  await fetcher.close();
  await sandbox.close();
  await database.close();
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
  await scratch.drop();
}
