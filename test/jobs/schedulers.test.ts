import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconcileSchedulers } from "../../jobs/schedulers.ts";
import { createWatchlist, updateWatchlist, upsertApp } from "../../src/db/repo/watchlists.ts";
import { crawlQueue, redisConnection, type CrawlQueue } from "../../src/queues.ts";
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
