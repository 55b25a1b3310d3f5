import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconcileSchedulers } from "../../jobs/schedulers.ts";
import { createWatchlist, updateWatchlist, upsertApp } from "../../src/db/repo/watchlists.ts";
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
