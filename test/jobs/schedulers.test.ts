import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconcileChangedSchedulers, reconcileSchedulers, type ReconcileResult } from "../../jobs/schedulers.ts";
import { createWatchlist, deleteWatchlist, updateWatchlist, upsertApp } from "../../src/db/repo/watchlists.ts";
import { SCHEDULE_BUCKET } from "../../src/watchlists.ts";
import { loadConfig } from "../../src/config.ts";
import { crawlQueue, crawlQueueEvents, redisConnection, type CrawlQueue } from "../../src/queues.ts";
import { startWorker } from "../../src/worker.ts";
import { createCrawlTestEnv, type CrawlTestEnv } from "../helpers/crawl.ts";
import { deleteKeys } from "../helpers/env.ts";

let env: CrawlTestEnv;
let queue: CrawlQueue;
let connection: ReturnType<typeof redisConnection>;
let first: number;
let second: number;

const schedules = async () =>
  Object.fromEntries((await queue.getJobSchedulers(0, -1)).map((s) => [s.key, s.every]));

beforeAll(async () => {
  env = await createCrawlTestEnv();
  connection = redisConnection(env.config.redisUrl);
  queue = crawlQueue(env.config, connection);
  const app = await upsertApp(env.database.db, { name: "快跑", appstoreId: "1500000002", appstoreCountries: ["us"] });
  first = (await createWatchlist(env.database.db, { appId: app.id, keywords: [], sources: ["appstore"], intervalSec: 900, by: "test" })).id;
  second = (await createWatchlist(env.database.db, { appId: app.id, keywords: ["crash"], sources: ["appstore"], intervalSec: 3600, by: "test" })).id;
});
afterAll(async () => {
  await queue.close();
  connection.disconnect();
  await env.teardown();
});

describe("job schedulers follow the watchlists in Postgres", () => {
  it("creates one scheduler per enabled (watchlist, source) at its interval", async () => {
    expect(await reconcileSchedulers(env.database.db, queue)).toEqual({ created: 2, updated: 0, removed: 0, unchanged: 0 });
    expect(await schedules()).toEqual({ [`wl-${first}-appstore`]: 900_000, [`wl-${second}-appstore`]: 3_600_000 });
  });

  it("changes nothing when nothing changed", async () => {
    expect(await reconcileSchedulers(env.database.db, queue)).toEqual({ created: 0, updated: 0, removed: 0, unchanged: 2 });
  });

  it("follows a changed interval and removes a disabled watchlist's scheduler", async () => {
    await updateWatchlist(env.database.db, first, { intervalSec: 1800 }, "test");
    await updateWatchlist(env.database.db, second, { enabled: false }, "test");
    expect(await reconcileSchedulers(env.database.db, queue)).toEqual({ created: 0, updated: 1, removed: 1, unchanged: 0 });
    expect(await schedules()).toEqual({ [`wl-${first}-appstore`]: 1_800_000 });
  });

  it("writes the configured retry policy into every scheduler and rewrites them when it changes", async () => {
    const template = async (q: CrawlQueue) => (await q.getJobScheduler(`wl-${first}-appstore`))!.template!.opts!;
    expect(await template(queue)).toMatchObject({ attempts: env.config.crawlRetry.attempts, backoff: { type: "exponential", delay: env.config.crawlRetry.backoffMs } });
    const config = { ...env.config, crawlRetry: { attempts: 3, backoffMs: 5000 } };
    const retuned = crawlQueue(config, connection);
    expect(await reconcileSchedulers(env.database.db, retuned)).toEqual({ created: 0, updated: 1, removed: 0, unchanged: 0 });
    expect(await template(retuned)).toMatchObject({ attempts: 3, backoff: { delay: 5000 } });
    expect(await reconcileSchedulers(env.database.db, retuned)).toEqual({ created: 0, updated: 0, removed: 0, unchanged: 1 });
    await retuned.close();
    // Back to the environment's policy for the tests that follow.
    expect((await reconcileSchedulers(env.database.db, queue)).updated).toBe(1);
  });

  it("rebuilds the schedulers from Postgres when a worker starts after Redis lost everything", async () => {
    await deleteKeys(env.redis, `${env.config.queuePrefix}:*`);
    expect(await schedules()).toEqual({});
    const worker = await startWorker(env.config, { concurrency: 1 });
    try {
      expect(await schedules()).toEqual({ [`wl-${first}-appstore`]: 1_800_000 });
    } finally {
      await worker.close();
    }
  });
});

describe("after an admin change only the changed watchlists' schedulers are reconciled", () => {
  const ids: number[] = [];
  let appId: number;

  beforeAll(async () => {
    appId = (await upsertApp(env.database.db, { name: "多多", appstoreId: "1500000003", appstoreCountries: ["us"] })).id;
    // Enough watchlists for three buckets, so most schedulers sit outside the changed one's bucket.
    for (let i = 0; i < SCHEDULE_BUCKET * 2 + 10; i++) {
      ids.push((await createWatchlist(env.database.db, { appId, keywords: [`k${i}`], sources: ["appstore", "weibo"], intervalSec: 900, by: "test" })).id);
    }
    await reconcileSchedulers(env.database.db, queue);
  });

  it("reads and writes nothing of other buckets' schedulers, and ends where a full reconcile would", async () => {
    const [changed, other] = [ids[0]!, ids.at(-1)!];
    // Drift in another bucket: a targeted reconcile does not look there, a full one repairs it.
    await queue.removeJobScheduler(`wl-${other}-weibo`);
    await updateWatchlist(env.database.db, changed, { intervalSec: 1800, sources: ["weibo"] }, "test");
    const r = await reconcileChangedSchedulers(env.database.db, queue);
    expect(r).toMatchObject({ created: 0, updated: 1, removed: 1 });
    expect(r.unchanged).toBeLessThan(SCHEDULE_BUCKET * 2);
    const s = await schedules();
    expect(s[`wl-${changed}-weibo`]).toBe(1_800_000);
    expect(s[`wl-${changed}-appstore`]).toBeUndefined();
    expect(s[`wl-${other}-weibo`]).toBeUndefined();
    expect(await reconcileSchedulers(env.database.db, queue)).toMatchObject({ created: 1, updated: 0, removed: 0 });
    expect((await schedules())[`wl-${other}-weibo`]).toBe(900_000);
  });

  it("follows a created, disabled, enabled and deleted watchlist exactly as a full reconcile does", async () => {
    const made = (await createWatchlist(env.database.db, { appId, keywords: ["new"], sources: ["appstore", "weibo"], intervalSec: 600, by: "test" })).id;
    const lastBucket = ids.filter((id) => Math.floor(id / SCHEDULE_BUCKET) === Math.floor(ids.at(-1)! / SCHEDULE_BUCKET));
    const steps: [string, () => Promise<unknown>, Partial<ReconcileResult>][] = [
      ["create", async () => {}, { created: 2, updated: 0, removed: 0 }],
      ["disable", () => updateWatchlist(env.database.db, made, { enabled: false }, "test"), { created: 0, updated: 0, removed: 2 }],
      ["enable", () => updateWatchlist(env.database.db, made, { enabled: true }, "test"), { created: 2, updated: 0, removed: 0 }],
      ["delete", () => deleteWatchlist(env.database.db, made), { created: 0, updated: 0, removed: 2 }],
      ["delete a bucket's last watchlists", async () => {
        for (const id of lastBucket) await deleteWatchlist(env.database.db, id);
      }, { created: 0, updated: 0, removed: lastBucket.length * 2 }],
    ];
    for (const [step, change, expected] of steps) {
      await change();
      expect(await reconcileChangedSchedulers(env.database.db, queue), step).toMatchObject(expected);
      expect(await reconcileSchedulers(env.database.db, queue), step).toMatchObject({ created: 0, updated: 0, removed: 0 });
    }
    const left = Object.keys(await schedules());
    expect(left.filter((k) => lastBucket.some((id) => k.startsWith(`wl-${id}-`)))).toEqual([]);
    expect(left).not.toContain(`wl-${made}-appstore`);
  });

  it("is a full reconcile when Redis holds no record of the last one", async () => {
    await env.redis.del(`${env.config.queuePrefix}:crawl:schedule-digests`);
    const r = await reconcileChangedSchedulers(env.database.db, queue);
    expect(r.unchanged).toBe(Object.keys(await schedules()).length);
    expect(r.unchanged).toBeGreaterThan(SCHEDULE_BUCKET * 2);
  });
});

describe("a hash-tagged queue prefix, for Redis Cluster", () => {
  it("is accepted, and a worker schedules, crawls and caches robots.txt with every key under the tag", async () => {
    const tag = `{t${Date.now().toString(36)}}`;
    const tagged = await createCrawlTestEnv({ EARSHOT_QUEUE_PREFIX: tag });
    const taggedConnection = redisConnection(tagged.config.redisUrl);
    const taggedQueue = crawlQueue(tagged.config, taggedConnection);
    const worker = await startWorker(tagged.config, { concurrency: 1, alerting: false });
    try {
      expect(tagged.config.queuePrefix).toBe(tag);
      const app = await upsertApp(tagged.database.db, { name: "快跑", appstoreId: "1500000002", appstoreCountries: ["us"] });
      const w = await createWatchlist(tagged.database.db, { appId: app.id, keywords: [], sources: ["appstore"], intervalSec: 900, by: "test" });
      expect((await reconcileSchedulers(tagged.database.db, taggedQueue)).created).toBe(1);
      const job = await taggedQueue.add("crawl", { watchlistId: w.id, source: "appstore", trigger: "manual" });
      const events = crawlQueueEvents(tagged.config, redisConnection(tagged.config.redisUrl));
      try {
        const result = await job.waitUntilFinished(events, 60_000);
        expect(result.status).toBe("ok");
        // The scheduler's first run may have stored the feed before this one.
        const [stored] = await tagged.database.sql`select count(*)::int as n from mentions where source = 'appstore'`;
        expect(stored!.n).toBeGreaterThan(0);
      } finally {
        await events.close();
      }
      const keys = await tagged.redis.keys(`*${tag.slice(1, -1)}*`);
      // The fetch layer's keys (robots.txt cache, politeness) are built from the prefix as the queue's are.
      expect(keys.some((k) => k.includes(":fetch:robots:"))).toBe(true);
      expect(keys.some((k) => k.includes(":crawl:repeat"))).toBe(true);
      expect(keys.filter((k) => !k.startsWith(`${tag}:`))).toEqual([]);
    } finally {
      await worker.close();
      await taggedQueue.close();
      taggedConnection.disconnect();
      await tagged.teardown();
    }
  });

  it("refuses a prefix with a broken or second hash tag, naming the variable", () => {
    expect(() => loadConfig({ EARSHOT_QUEUE_PREFIX: "{earshot" })).toThrow(/EARSHOT_QUEUE_PREFIX: .*hash tag/);
    expect(() => loadConfig({ EARSHOT_QUEUE_PREFIX: "{a}{b}" })).toThrow(/EARSHOT_QUEUE_PREFIX/);
  });
});
