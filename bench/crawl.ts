/**
 * Crawl bench: 200 store watchlists (App Store, Google Play, TapTap) against the local sandbox,
 * through the real crawl job, fetcher, pipeline and a scratch database. Measures requests and
 * wall time of a first run, an unchanged rerun and a rerun after 1 % new reviews, and how fast
 * each store format parses. Prints one JSON line per figure, then a readable table.
 *
 *   npm run bench:crawl [-- --watchlists 200 --concurrency 4]
 */
import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import { Redis } from "ioredis";
import { pino } from "pino";
import postgres from "postgres";
import { runCrawl, type CrawlDeps, type CrawlJobData } from "../jobs/crawl.ts";
import { noAlerts } from "../src/alerts/stage.ts";
import { formatTable } from "../src/cli/table.ts";
import { loadConfig, sourceEnvKey } from "../src/config.ts";
import { migrateDatabase, openDatabase, quoteIdent } from "../src/db/client.ts";
import { createWatchlist, upsertApp } from "../src/db/repo/watchlists.ts";
import { createFetcher } from "../src/fetch/index.ts";
import { INITIAL_REVIEWS } from "../src/sandbox/appstore.ts";
import { PLAY_INITIAL_REVIEWS } from "../src/sandbox/googleplay.ts";
import { startSandbox } from "../src/sandbox/server.ts";
import { TAPTAP_INITIAL_REVIEWS } from "../src/sandbox/taptap.ts";
import { parseAppstoreFeed } from "../src/sources/appstore.ts";
import { parseGooglePlayReviews, playReviewsRequestBody, playReviewsUrl } from "../src/sources/googleplay.ts";
import { sources } from "../src/sources/index.ts";
import { parseTaptapReviews, taptapReviewsUrl } from "../src/sources/taptap.ts";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const WATCHLISTS = arg("--watchlists", 200);
const CONCURRENCY = arg("--concurrency", 4);
const STORES = ["appstore", "googleplay", "taptap"] as const;
const INITIAL: Record<(typeof STORES)[number], number> = { appstore: INITIAL_REVIEWS, googleplay: PLAY_INITIAL_REVIEWS, taptap: TAPTAP_INITIAL_REVIEWS };

interface Figure {
  figure: string;
  value: number;
  unit: string;
}
const figures: Figure[] = [];
const figure = (name: string, value: number, unit: string) => {
  const f = { figure: name, value: Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 1000) / 1000, unit };
  figures.push(f);
  console.log(JSON.stringify(f));
};
const say = (line: string) => console.error(line);

// ---- scratch database, queue prefix and sandbox ----
const suffix = randomBytes(4).toString("hex");
const baseUrl = new URL(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
const dbName = `earshot_bench_crawl_${suffix}`;
const dbUrl = new URL(baseUrl);
dbUrl.pathname = `/${dbName}`;
const sandbox = await startSandbox();
const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: dbUrl.toString(),
  EARSHOT_QUEUE_PREFIX: `bench-crawl-${suffix}`,
  EARSHOT_SANDBOX_URL: sandbox.url,
  LOG_LEVEL: "silent",
};
// The sandbox is local: no spacing between requests, as the demo does.
for (const id of STORES) env[`EARSHOT_POLITENESS_${sourceEnvKey(id)}`] = "8/0";
for (const id of STORES) delete env[`EARSHOT_${sourceEnvKey(id)}_URL`];
delete env.EARSHOT_ITUNES_SEARCH_URL;
const config = loadConfig(env);
await migrateDatabase(config.databaseUrl);
const database = openDatabase(config.databaseUrl);
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
const fetcher = createFetcher({
  redis,
  prefix: config.queuePrefix,
  config,
  politeness: Object.fromEntries([...sources.values()].map((s) => [s.id, s.politeness])),
});
const deps: CrawlDeps = { config, database, fetcher, alertStage: noAlerts, logger: pino({ level: "silent" }), blockBackoffMs: config.fetch.blockBackoffMs };

try {
  // ---- 200 watchlists spread over the three stores, each on a feed of its own ----
  const jobs: (CrawlJobData & { feed: string; store: (typeof STORES)[number] })[] = [];
  const letters = "abcdefghijklmnopqrstuvwxyz";
  for (let i = 0; i < WATCHLISTS; i++) {
    const store = STORES[i % 3]!;
    const cc = letters[Math.floor(i / 26) % 26]! + letters[i % 26]!;
    const trackId = i % 2 ? "1500000001" : "1500000002";
    const region = i % 2 ? "cn" : "intl";
    const app = await upsertApp(database.db, {
      name: `bench-${store}-${i}`,
      ...(store === "appstore" ? { appstoreId: trackId, appstoreCountries: [cc] } : {}),
      ...(store === "googleplay" ? { playPackage: `com.bench.app${i}`, playLangs: ["en-us"] } : {}),
      ...(store === "taptap" ? { taptapId: String(300_000 + i), taptapRegion: region } : {}),
    });
    const w = await createWatchlist(database.db, { appId: app.id, keywords: ["crash", "闪退"], sources: [store], intervalSec: 900, by: "bench" });
    const feed =
      store === "appstore" ? `appstore:${trackId}:${cc}` : store === "googleplay" ? `googleplay:com.bench.app${i}:en-us` : `taptap:${300_000 + i}:${region}`;
    jobs.push({ watchlistId: w.id, source: store, trigger: "manual", feed, store });
  }
  const scopes = jobs.length; // one storefront, language or app list each

  let jobSeq = 0;
  const runAll = async () => {
    const before = sandbox.requests.filter((r) => r.path !== "/robots.txt").length;
    let next = 0;
    let stored = 0;
    let failed = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < jobs.length) {
          const job = jobs[next++]!;
          try {
            const r = await runCrawl(deps, { id: `bench-${++jobSeq}`, data: { watchlistId: job.watchlistId, source: job.source, trigger: "manual" }, attemptsMade: 0 });
            stored += r.new;
            if (r.status !== "ok") failed++;
          } catch (err) {
            failed++;
            say(`${job.source} watchlist ${job.watchlistId}: ${(err as Error).message}`);
          }
        }
      }),
    );
    const ms = performance.now() - start;
    const requests = sandbox.requests.filter((r) => r.path !== "/robots.txt").length - before;
    return { ms, requests, stored, failed };
  };

  say(`first run: ${jobs.length} watchlists (${scopes} feeds), ${CONCURRENCY} at a time…`);
  const first = await runAll();
  figure("crawl_first_run_requests", first.requests, "requests");
  figure("crawl_first_run_ms", first.ms, "ms");
  figure("crawl_first_run_reviews", first.stored, "reviews");
  figure("crawl_first_run_reviews_per_s", first.stored / (first.ms / 1000), "reviews/s");

  say("unchanged rerun…");
  const unchanged = await runAll();
  figure("crawl_unchanged_requests", unchanged.requests, "requests");
  figure("crawl_unchanged_ms", unchanged.ms, "ms");
  figure("crawl_unchanged_requests_per_scope", unchanged.requests / scopes, "requests/scope");
  figure("crawl_unchanged_new_reviews", unchanged.stored, "reviews");

  // 1 % new: every feed grows by 1 % of what it started with (at least one review).
  let grown = 0;
  for (const j of jobs) {
    const n = Math.max(1, Math.round(INITIAL[j.store] / 100));
    sandbox.grow(j.feed, n);
    grown += n;
  }
  say(`1 % new: ${grown} new reviews over ${scopes} feeds…`);
  const onePct = await runAll();
  figure("crawl_1pct_new_requests", onePct.requests, "requests");
  figure("crawl_1pct_new_ms", onePct.ms, "ms");
  figure("crawl_1pct_new_reviews", onePct.stored, "reviews");
  figure("crawl_requests_per_new_review", onePct.requests / Math.max(1, onePct.stored), "requests/review");
  const failed = first.failed + unchanged.failed + onePct.failed;
  figure("crawl_failed_runs", failed, "runs");
  if (onePct.stored !== grown) say(`warning: ${grown} reviews were added but ${onePct.stored} stored`);

  // ---- parse throughput per store format, on sandbox pages of each ----
  const appstoreUrl = `${sandbox.url}/us/rss/customerreviews/page=2/id=1500000001/sortby=mostrecent/json`;
  const appstoreBody = await (await fetch(appstoreUrl)).text();
  const playUrl = playReviewsUrl(sandbox.url, "en", "us");
  const playBody = await (
    await fetch(playUrl, { method: "POST", body: playReviewsRequestBody("com.example.meownote", null), headers: { "content-type": "application/x-www-form-urlencoded" } })
  ).text();
  const tapUrl = taptapReviewsUrl(sandbox.url, "cn", "210001");
  const tapBody = await (await fetch(tapUrl)).text();
  const parsers: [string, () => number][] = [
    ["appstore", () => parseAppstoreFeed(appstoreBody, appstoreUrl).items.length],
    ["googleplay", () => parseGooglePlayReviews(playBody, { url: playUrl, packageName: "com.example.meownote" }).items.length],
    ["taptap", () => parseTaptapReviews(tapBody, tapUrl).items.length],
  ];
  for (const [store, parse] of parsers) {
    const until = (ms: number) => {
      let reviews = 0;
      const start = performance.now();
      while (performance.now() - start < ms) reviews += parse();
      return reviews / ((performance.now() - start) / 1000);
    };
    until(200); // warm up
    figure(`parse_${store}_reviews_per_s`, until(1000), "reviews/s");
  }

  say(`\ncrawl bench: ${jobs.length} store watchlists, ${CONCURRENCY} runs at a time, sandbox with no spacing (${cpus().length} cores, ${new Date().toISOString().slice(0, 10)})`);
  say(formatTable(["figure", "value", "unit"], figures.map((f) => [f.figure, f.value, f.unit])));
  if (failed > 0) process.exitCode = 1;
} finally {
  await fetcher.close();
  await sandbox.close();
  await database.close();
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${config.queuePrefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== "0");
  redis.disconnect();
  const adminUrl = new URL(baseUrl);
  adminUrl.pathname = "/postgres";
  const admin = postgres(adminUrl.toString(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${quoteIdent(dbName)} with (force)`);
  await admin.end();
}
