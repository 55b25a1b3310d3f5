import { afterAll, beforeAll, expect, it } from "vitest";
import { createWatchlist, upsertApp } from "../../src/db/repo/watchlists.ts";
import { crawlQueue, redisConnection, type CrawlQueue } from "../../src/queues.ts";
import { INITIAL_REVIEWS } from "../../src/sandbox/appstore.ts";
import { startWorker, type RunningWorker } from "../../src/worker.ts";
import { rule, silent, webhookChannel } from "../alerts/support.ts";
import { startReceiver, type Receiver } from "../alerts/receiver.ts";
import { waitFor } from "../helpers/child.ts";
import { createCrawlTestEnv, type CrawlTestEnv } from "../helpers/crawl.ts";
import { startPrivateRedis, type PrivateRedis } from "./support.ts";

// A redis-server of this file's own: the shared Redis is never flushed or restarted.
let redis: PrivateRedis | undefined;
let env: CrawlTestEnv;
let receiver: Receiver;
let worker: RunningWorker | undefined;
let queue: CrawlQueue;
let connection: ReturnType<typeof redisConnection>;

beforeAll(async () => {
  redis = await startPrivateRedis();
  // The alerting runtime reads these from the process environment.
  Object.assign(process.env, {
    EARSHOT_NOTIFY_BACKOFF: "2s",
    EARSHOT_NOTIFY_ATTEMPTS: "50",
    // Long enough that a slow answer from the busy test process is not taken for a lost one.
    EARSHOT_NOTIFY_TIMEOUT: "10s",
    EARSHOT_OUTBOX_SWEEP_EVERY: "1s",
    EARSHOT_OUTBOX_GRACE: "0",
  });
  env = await createCrawlTestEnv({ REDIS_URL: redis.url, EARSHOT_STALLED_INTERVAL: "1s", EARSHOT_LOCK_DURATION: "5s" });
  receiver = await startReceiver();
  connection = redisConnection(env.config.redisUrl);
  queue = crawlQueue(env.config, connection);
  // While the server is down these reconnect; their refused attempts are expected, not news.
  for (const c of [connection, env.redis]) c.on("error", () => {});
}, 60_000);

afterAll(async () => {
  try {
    await worker?.close();
    await queue?.close();
    connection?.disconnect();
    await receiver?.close();
    await env?.teardown();
  } finally {
    await redis?.stop();
  }
});

const sql = () => env.database.sql;
const n = async (q: Promise<{ n: number }[]>) => Number((await q)[0]!.n);

// Injects: Redis killed and started empty (no persistence) while a crawl is mid-run and failed deliveries wait in Redis for their retry.
// Asserts: the running worker rebuilds the job schedulers from Postgres, the crawl's work is completed with every review once, and the outbox sweeper re-sends every undelivered alert, each delivered once.
it("after Redis comes back empty, schedulers are rebuilt, the crawl completes and every pending alert is delivered once", { timeout: 150_000 }, async () => {
  const app = await upsertApp(env.database.db, { name: "喵记", appstoreId: "1500000001", appstoreCountries: ["cn"] });
  const w = await createWatchlist(env.database.db, { appId: app.id, keywords: [], sources: ["appstore"], intervalSec: 3600, by: "test" });
  const ch = await webhookChannel(sql(), `${receiver.url}/hook`);
  await rule(sql(), { kind: "low_rating", watchlistId: w.id, channelIds: [ch], params: { maxRating: 2 } });
  // The receiver refuses until Redis is back: deliveries sit in Redis waiting for their retry.
  receiver.fallback = { status: 503, body: "down" };
  env.sandbox.fail({ match: "/cn/rss/customerreviews/page=3/", delayMs: 2500, times: 1 });

  worker = await startWorker(env.config, { concurrency: 2, logger: silent });
  const scheduler = `wl-${w.id}-appstore`;
  expect((await queue.getJobSchedulers(0, -1)).map((s) => s.key)).toEqual([scheduler]);
  await waitFor(() => env.sandbox.requests.some((r) => r.path.includes("/cn/rss/customerreviews/page=3/")), "the scheduled crawl to reach page 3");
  await waitFor(async () => (await n(sql()`select count(*)::int as n from deliveries where attempts >= 1 and state <> 'delivered'`)) > 0, "a failed delivery waiting to be retried");

  await connection.set("earshot-fault-marker", "1");
  await redis!.restartEmpty();
  expect(await connection.get("earshot-fault-marker")).toBeNull();
  const switchedAt = receiver.received.length;
  receiver.fallback = { status: 200, body: "ok" };

  // The queue's own connection may still be reconnecting: an error there is "not yet".
  await waitFor(async () => (await queue.getJobSchedulers(0, -1).catch(() => [])).some((s) => s.key === scheduler), "the crawl scheduler to be rebuilt from Postgres", 30_000);
  await waitFor(async () => (await n(sql()`select count(*)::int as n from mentions`)) === INITIAL_REVIEWS, "every review of the interrupted crawl", 30_000);
  await waitFor(
    async () => {
      const [d] = await sql()`select count(*)::int as total, count(*) filter (where state = 'delivered')::int as delivered from deliveries`;
      const alerts = await n(sql()`select count(*)::int as n from alerts`);
      return d!.total === alerts && d!.delivered === alerts && alerts > 0;
    },
    "the sweeper to deliver every alert",
    45_000,
  );

  expect(await n(sql()`select count(*)::int as n from (select 1 from mentions group by source, external_id having count(*) > 1) d`)).toBe(0);
  const expected = await n(sql()`select count(distinct coalesce(duplicate_of, id))::int as n from mentions where rating <= 2`);
  expect(await n(sql()`select count(*)::int as n from alerts`)).toBe(expected);
  // One delivery row per alert, each delivered; every alert reached the receiver under its own key.
  expect(await n(sql()`select count(*)::int as n from (select 1 from deliveries group by alert_id, channel_id having count(*) > 1) d`)).toBe(0);
  expect(receiver.received.length).toBeGreaterThan(switchedAt);
  const everKeys = new Set(receiver.received.map((r) => String(r.headers["idempotency-key"])));
  expect(everKeys.size).toBe(expected);
  const runs = await sql()`select status from crawl_runs where watchlist_id = ${w.id} order by id`;
  expect(runs.some((r) => r.status === "ok")).toBe(true);
});
