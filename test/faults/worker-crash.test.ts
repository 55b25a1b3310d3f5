import { afterAll, beforeAll, expect, it } from "vitest";
import { createWatchlist, upsertApp } from "../../src/db/repo/watchlists.ts";
import { crawlQueue, redisConnection, type CrawlQueue } from "../../src/queues.ts";
import { INITIAL_REVIEWS } from "../../src/sandbox/appstore.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { spawnWorker, waitFor } from "../helpers/child.ts";
import { fastFetchEnv } from "../helpers/crawl.ts";
import { createTestEnv, type TestEnv } from "../helpers/env.ts";
import { jobOutcome } from "./support.ts";
import { startReceiver } from "../alerts/receiver.ts";
import { matched, review, rule, store, watch, webhookChannel } from "../alerts/support.ts";

let env: TestEnv;
let sandbox: Sandbox;
let queue: CrawlQueue;
let connection: ReturnType<typeof redisConnection>;
const children: ReturnType<typeof spawnWorker>[] = [];

beforeAll(async () => {
  sandbox = await startSandbox();
  env = await createTestEnv({
    ...fastFetchEnv,
    EARSHOT_SANDBOX_URL: sandbox.url,
    // Notice a dead worker's job within seconds instead of the production 30 s, with a lock long
    // enough that a live worker on a busy machine keeps it.
    EARSHOT_STALLED_INTERVAL: "1s",
    EARSHOT_LOCK_DURATION: "5s",
  });
  connection = redisConnection(env.config.redisUrl);
  queue = crawlQueue(env.config, connection);
});
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await queue.close();
  connection.disconnect();
  await sandbox.close();
  await env.teardown();
});

const count = async (q: string) => Number((await env.database.sql.unsafe(q))[0]!.n);

// Injects: SIGKILL of the worker process while a page request hangs (pages 1-2 committed). Asserts: the restarted worker completes the job; every review stored once, the dead run marked abandoned.
it("picks up the job of a worker killed mid-crawl and completes it with no duplicate and nothing lost", { timeout: 150_000 }, async () => {
  const app = await upsertApp(env.database.db, { name: "喵记", appstoreId: "1500000001", appstoreCountries: ["cn", "us"] });
  // Disabled: no scheduler competes with the job this test enqueues by hand.
  const w = await createWatchlist(env.database.db, { appId: app.id, keywords: [], sources: ["appstore"], intervalSec: 900, enabled: false, by: "test" });
  // Page 3 of the first storefront hangs, so the worker dies with pages 1-2 committed and the rest unread.
  sandbox.fail({ match: "/cn/rss/customerreviews/page=3/", delayMs: 30_000, times: 1 });

  const first = spawnWorker(env.childEnv);
  children.push(first);
  const job = await queue.add("crawl", { watchlistId: w.id, source: "appstore", trigger: "manual" }, { jobId: `kill-${w.id}` });
  await waitFor(() => sandbox.requests.some((r) => r.path.includes("/cn/rss/customerreviews/page=3/")), "the crawl to reach page 3");
  expect(await count("select count(*)::int as n from mentions")).toBe(100);
  first.kill("SIGKILL");
  await new Promise((r) => first.once("exit", r));

  const second = spawnWorker(env.childEnv);
  children.push(second);
  const state = await jobOutcome(job, "the job to finish after the restart");
  second.kill("SIGTERM");

  expect(state).toBe("completed");
  expect(await count("select count(*)::int as n from mentions")).toBe(2 * INITIAL_REVIEWS);
  expect(await count("select count(*)::int as n from (select source, external_id from mentions group by 1, 2 having count(*) > 1) d")).toBe(0);
  const runs = await env.database.sql`select status from crawl_runs where job_id = ${job.id!} order by id`;
  expect(runs.map((r) => r.status)).toEqual(["abandoned", "ok"]);
  const cursor = await env.database.sql`select scope, last_external_id from source_cursors order by scope`;
  expect(cursor.map((c) => c.scope)).toEqual(["cn", "us"]);
});

// Injects: SIGTERM while a page is slow. Asserts: the worker exits 0 only after the job completed with every review.
it("finishes the running job before stopping on SIGTERM", { timeout: 150_000 }, async () => {
  const app = await upsertApp(env.database.db, { name: "快跑", appstoreId: "1500000002", appstoreCountries: ["us"] });
  const w = await createWatchlist(env.database.db, { appId: app.id, keywords: [], sources: ["appstore"], intervalSec: 900, enabled: false, by: "test" });
  sandbox.fail({ match: "/us/rss/customerreviews/page=2/id=1500000002", delayMs: 1500, times: 1 });
  const worker = spawnWorker(env.childEnv);
  children.push(worker);
  const job = await queue.add("crawl", { watchlistId: w.id, source: "appstore", trigger: "manual" }, { jobId: `term-${w.id}` });
  await waitFor(() => sandbox.requests.some((r) => r.path.includes("page=1/id=1500000002")), "the crawl to start");
  worker.kill("SIGTERM");
  const code = await new Promise<number | null>((r) => worker.once("exit", r));
  expect(code).toBe(0);
  expect(await job.getState()).toBe("completed");
  expect(await count(`select count(*)::int as n from mention_matches where watchlist_id = ${w.id}`)).toBe(INITIAL_REVIEWS);
});

// Injects: SIGKILL of the worker while page 1's multi-row insert waits inside its transaction (the test holds a lock on mentions).
// Asserts: the killed transaction leaves no row behind; the restarted worker completes the job with every review once.
it("rolls back the page a worker was inserting when it was killed, and the restart stores it once", { timeout: 150_000 }, async () => {
  const app = await upsertApp(env.database.db, { name: "插入", appstoreId: "1500000002", appstoreCountries: ["cn"] });
  const w = await createWatchlist(env.database.db, { appId: app.id, keywords: [], sources: ["appstore"], intervalSec: 900, enabled: false, by: "test" });
  const before = await count("select count(*)::int as n from mentions");
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const holding = env.database.sql.begin(async (tx) => {
    await tx`lock table mentions in exclusive mode`;
    await released;
  });

  const first = spawnWorker(env.childEnv);
  children.push(first);
  const job = await queue.add("crawl", { watchlistId: w.id, source: "appstore", trigger: "manual" }, { jobId: `insert-${w.id}` });
  const waitingInsert = () => count("select count(*)::int as n from pg_stat_activity where datname = current_database() and query ilike '%insert into mentions%' and state = 'active' and pid <> pg_backend_pid()");
  await waitFor(async () => (await waitingInsert()) > 0, "page 1's insert to wait inside its transaction");
  first.kill("SIGKILL");
  await new Promise((r) => first.once("exit", r));
  release();
  await holding;
  // The dead worker's backend finds its client gone once its insert may run, and rolls back.
  await waitFor(async () => (await waitingInsert()) === 0, "the killed worker's transaction to end");
  expect(await count("select count(*)::int as n from mentions")).toBe(before);

  const second = spawnWorker(env.childEnv);
  children.push(second);
  const state = await jobOutcome(job, "the job to finish after the restart");
  second.kill("SIGTERM");
  await new Promise((r) => second.once("exit", r));

  expect(state).toBe("completed");
  expect(await count("select count(*)::int as n from mentions")).toBe(before + INITIAL_REVIEWS);
  expect(await count("select count(*)::int as n from (select source, external_id from mentions group by 1, 2 having count(*) > 1) d")).toBe(0);
  expect(await count(`select count(*)::int as n from mention_matches where watchlist_id = ${w.id}`)).toBe(INITIAL_REVIEWS);
  const runs = await env.database.sql`select status from crawl_runs where job_id = ${job.id!} order by id`;
  expect(runs.map((r) => r.status)).toEqual(["abandoned", "ok"]);
});

// Injects: SIGKILL of the worker while a webhook receiver holds its first delivery open.
// Asserts: after a restart every alert is delivered and recorded once; nothing Postgres recorded as delivered before the kill is sent again; a re-send carries the alert's own idempotency key.
it("delivers every alert once after a worker is killed mid-delivery, re-sending only what was not recorded", { timeout: 150_000 }, async () => {
  const receiver = await startReceiver();
  try {
    const sql = env.database.sql;
    const w = await watch(sql, env.database.db, "送达");
    const ch = await webhookChannel(sql, `${receiver.url}/kill`);
    await rule(sql, { kind: "keyword", watchlistId: w, channelIds: [ch], params: { words: ["闪退"] } });
    await store(sql, w, matched(["闪退"], ...["一打开就闪退", "更新后闪退了三次", "闪退闪退还是闪退", "登录页面闪退", "看视频的时候闪退"].map((t) => review(t))), "weibo");
    const alertIds = (await sql`select id from alerts where watchlist_id = ${w} order by id`).map((a) => String(a.id));
    expect(alertIds.length).toBe(5);
    receiver.answers = [{ delayMs: 4000 }];

    const notifyEnv = { ...env.childEnv, EARSHOT_NOTIFY_BACKOFF: "50ms", EARSHOT_NOTIFY_ATTEMPTS: "50", EARSHOT_NOTIFY_TIMEOUT: "3s", EARSHOT_OUTBOX_SWEEP_EVERY: "1s", EARSHOT_OUTBOX_GRACE: "0" };
    const first = spawnWorker(notifyEnv);
    children.push(first);
    await waitFor(() => receiver.received.length > 0, "the first delivery to reach the receiver");
    first.kill("SIGKILL");
    await new Promise((r) => first.once("exit", r));
    const sentBefore = receiver.received.length;
    const recorded = new Set(
      (await sql`select d.alert_id from deliveries d join alerts a on a.id = d.alert_id where a.watchlist_id = ${w} and d.state = 'delivered'`).map((d) => String(d.alert_id)),
    );
    expect(recorded.size).toBeLessThan(5);

    const second = spawnWorker(notifyEnv);
    children.push(second);
    await waitFor(
      async () => (await sql`select d.state from deliveries d join alerts a on a.id = d.alert_id where a.watchlist_id = ${w}`).every((d) => d.state === "delivered"),
      "every delivery after the restart",
      60_000,
    );
    second.kill("SIGTERM");
    await new Promise((r) => second.once("exit", r));

    const deliveries = await sql`select d.alert_id from deliveries d join alerts a on a.id = d.alert_id where a.watchlist_id = ${w}`;
    expect(deliveries).toHaveLength(5);
    const keys = (from: number) => receiver.received.slice(from).map((r) => String(r.headers["idempotency-key"]));
    expect([...new Set(keys(0))].sort()).toEqual([...alertIds].sort());
    // Re-sent: only what was in flight or not yet sent (a timed-out try may repeat, under the same key).
    expect(keys(sentBefore).filter((k) => recorded.has(k))).toEqual([]);
  } finally {
    await receiver.close();
  }
});
