import { afterAll, beforeAll, expect, it } from "vitest";
import { runCrawl } from "../../jobs/crawl.ts";
import { enqueueDeliveries, notifyJobId, type PendingDelivery } from "../../src/alerts/enqueue.ts";
import { createAlertStage } from "../../src/alerts/outbox.ts";
import { notifyQueue, redisConnection } from "../../src/queues.ts";
import { spawnWorker, waitFor } from "../helpers/child.ts";
import { createCrawlTestEnv, type CrawlTestEnv } from "../helpers/crawl.ts";
import { deleteKeys } from "../helpers/env.ts";
import { startReceiver, type Receiver } from "../alerts/receiver.ts";
import { fastAlertConfig, rule, watch, webhookChannel } from "../alerts/support.ts";

let env: CrawlTestEnv;
let receiver: Receiver;
const children: ReturnType<typeof spawnWorker>[] = [];
const childEnv = () => ({
  ...env.childEnv,
  EARSHOT_NOTIFY_BACKOFF: "50ms",
  EARSHOT_NOTIFY_ATTEMPTS: "50",
  // Long enough that a slow answer from the busy test process is not taken for a lost one (and re-sent).
  EARSHOT_NOTIFY_TIMEOUT: "10s",
  EARSHOT_OUTBOX_SWEEP_EVERY: "1s",
  EARSHOT_OUTBOX_GRACE: "0",
});

beforeAll(async () => {
  env = await createCrawlTestEnv();
  receiver = await startReceiver();
});
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await receiver.close();
  await env.teardown();
});

const sql = () => env.database.sql;
const states = async () => (await sql()`select state, count(*)::int as n from deliveries group by state order by state`).map((r) => `${r.state}:${r.n}`);
const deliveredKeys = () => receiver.received.map((r) => String(r.headers["idempotency-key"]));

// Injects: a crawl that commits alerts to the outbox and dies before enqueueing them. Asserts: a worker started later delivers each alert exactly once.
it("delivers every alert of a crawl that committed but died before enqueueing, once, when a worker starts", async () => {
  const w = await watch(sql(), env.database.db, "喵记");
  await sql()`update apps set appstore_id = '1500000001', appstore_countries = '{cn}' where name = '喵记'`;
  const ch = await webhookChannel(sql(), `${receiver.url}/crash`);
  await rule(sql(), { kind: "low_rating", watchlistId: w, channelIds: [ch], params: { maxRating: 2 } });

  // Reposts of a low-rated text alert once, for the first of them.
  // The crawl commits mentions and their outbox rows, and nothing else runs: no listener, no queue.
  const r = await runCrawl({ ...env.deps, alertStage: createAlertStage() }, { id: "crash-1", data: { watchlistId: w, source: "appstore", trigger: "manual" }, attemptsMade: 0 });
  const expected = Number((await sql()`select count(distinct coalesce(duplicate_of, id))::int as n from mentions where rating <= 2`)[0]!.n);
  expect(expected).toBeGreaterThan(0);
  expect(r.alerts).toBe(expected);
  expect(await states()).toEqual([`pending:${expected}`]);

  const worker = spawnWorker(childEnv());
  children.push(worker);
  await waitFor(async () => (await states()).join() === `delivered:${expected}`, "every delivery", 60_000);
  const keys = deliveredKeys();
  expect(new Set(keys).size).toBe(expected);
  expect(keys).toHaveLength(expected);
  worker.kill("SIGTERM");
  await new Promise((res) => worker.once("exit", res));
});

// Injects: a receiver that is down, then every notify job deleted from Redis. Asserts: the outbox sweeper re-sends each pending delivery, once.
it("re-enqueues pending deliveries whose jobs Redis lost, and delivers each once", async () => {
  const w = await watch(sql(), env.database.db, "失忆App");
  const ch = await webhookChannel(sql(), `${receiver.url}/lost`);
  await rule(sql(), { kind: "keyword", watchlistId: w, channelIds: [ch], params: { words: ["封号"] } });
  await receiver.down();
  const worker = spawnWorker(childEnv());
  children.push(worker);
  const { store, matched, review } = await import("../alerts/support.ts");
  await store(sql(), w, matched(["封号"], review("无缘无故被封号"), review("第二个封号的帖子，又被封号")), "weibo");
  await waitFor(async () => Number((await sql()`select count(*)::int as n from deliveries d join alerts a on a.id = d.alert_id where a.watchlist_id = ${w} and d.attempts >= 1`)[0]!.n) === 2, "failed first tries");

  // Redis loses every job (a flush, a failover without persistence).
  const connection = redisConnection(env.config.redisUrl);
  const queue = notifyQueue(env.config, connection);
  await queue.pause();
  await deleteKeys(env.redis, `${env.config.queuePrefix}:notify:*`);
  await queue.close();
  connection.disconnect();

  await receiver.up();
  await waitFor(async () => (await sql()`select d.state from deliveries d join alerts a on a.id = d.alert_id where a.watchlist_id = ${w}`).every((d) => d.state === "delivered"), "the sweeper to deliver them", 60_000);
  const keys = receiver.received.filter((r) => r.url === "/lost").map((r) => String(r.headers["idempotency-key"]));
  expect(new Set(keys).size).toBe(keys.length);
  expect(keys).toHaveLength(2);
  worker.kill("SIGTERM");
  await new Promise((res) => worker.once("exit", res));
});

// Injects: Redis keeps a notify job's record but loses the list that held it (a partial loss), so
// no worker would ever take it and adding the same id again does nothing. Asserts: a worker's
// sweep replaces the orphaned job and the delivery is sent once.
it("replaces a notify job whose record survived but whose queue list was lost, and delivers it once", async () => {
  const w = await watch(sql(), env.database.db, "孤儿App");
  const ch = await webhookChannel(sql(), `${receiver.url}/orphan`);
  await rule(sql(), { kind: "keyword", watchlistId: w, channelIds: [ch], params: { words: ["盗号"] } });
  const { store, matched, review } = await import("../alerts/support.ts");
  // No worker runs now, so nothing listens for the commit: the delivery stays pending, unqueued.
  await store(sql(), w, matched(["盗号"], review("账号被盗号了，客服不理")), "weibo");
  const pending = await sql()<PendingDelivery[]>`
    select d.id, d.alert_id as "alertId", d.channel_id as "channelId", a.watchlist_id as "watchlistId", d.digest_until as "digestUntil"
    from deliveries d join alerts a on a.id = d.alert_id where a.watchlist_id = ${w}`;
  expect(pending).toHaveLength(1);

  const connection = redisConnection(env.config.redisUrl);
  const queue = notifyQueue(env.config, connection);
  expect(await enqueueDeliveries(queue, pending, fastAlertConfig)).toBe(1);
  await env.redis.lrem(queue.keys.wait!, 0, notifyJobId(pending[0]!));
  expect(await (await queue.getJob(notifyJobId(pending[0]!)))!.getState()).toBe("unknown");
  await queue.close();
  connection.disconnect();

  const worker = spawnWorker(childEnv());
  children.push(worker);
  await waitFor(async () => (await sql()`select d.state from deliveries d join alerts a on a.id = d.alert_id where a.watchlist_id = ${w}`)[0]?.state === "delivered", "the orphaned delivery", 60_000);
  expect(receiver.received.filter((r) => r.url === "/orphan")).toHaveLength(1);
  worker.kill("SIGTERM");
  await new Promise((res) => worker.once("exit", res));
});
