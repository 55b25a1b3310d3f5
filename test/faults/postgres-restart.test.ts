import { randomBytes } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig, type Config } from "../../src/config.ts";
import { migrateDatabase, openDatabase, type Database } from "../../src/db/client.ts";
import { createWatchlist, upsertApp } from "../../src/db/repo/watchlists.ts";
import { crawlQueue, redisConnection, type CrawlQueue } from "../../src/queues.ts";
import { INITIAL_REVIEWS } from "../../src/sandbox/appstore.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { spawnWorker, waitFor } from "../helpers/child.ts";
import { fastFetchEnv } from "../helpers/crawl.ts";
import { deleteKeys } from "../helpers/env.ts";
import { jobOutcome, startPrivatePostgres, type PrivatePostgres } from "./support.ts";

// A cluster of this file's own: the shared Postgres is never stopped.
let pg: PrivatePostgres | undefined;
let sandbox: Sandbox;
let config: Readonly<Config>;
let childEnv: NodeJS.ProcessEnv;
let database: Database;
let worker: ReturnType<typeof spawnWorker> | undefined;
let locker: ChildProcess | undefined;
let queue: CrawlQueue;
let connection: ReturnType<typeof redisConnection>;

beforeAll(async () => {
  pg = await startPrivatePostgres();
  sandbox = await startSandbox();
  childEnv = {
    ...process.env,
    ...fastFetchEnv,
    DATABASE_URL: pg.url,
    REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    EARSHOT_QUEUE_PREFIX: `t${randomBytes(5).toString("hex")}`,
    EARSHOT_SANDBOX_URL: sandbox.url,
    LOG_LEVEL: "silent",
    EARSHOT_STALLED_INTERVAL: "1s",
    EARSHOT_LOCK_DURATION: "5s",
  };
  config = loadConfig(childEnv);
  await migrateDatabase(config.databaseUrl);
  database = openDatabase(config.databaseUrl);
  connection = redisConnection(config.redisUrl);
  queue = crawlQueue(config, connection);
  // A real worker process: what a restart does to it (or to the driver under it) is what is tested.
  worker = spawnWorker(childEnv);
}, 120_000);

afterAll(async () => {
  try {
    worker?.kill("SIGKILL");
    locker?.kill("SIGKILL");
    await queue?.close();
    if (connection) {
      await deleteKeys(connection, `${config.queuePrefix}:*`);
      connection.disconnect();
    }
    await database?.close();
    await sandbox?.close();
  } finally {
    await pg?.destroy();
  }
});

const count = async () => Number((await database.sql`select count(*)::int as n from mentions`)[0]!.n);

// Injects: a fast Postgres shutdown (every connection cut) while page 3's insert is waiting inside its transaction, then a start 1 s later.
// Asserts: the job fails and is retried (with backoff, or after stalled-job recovery when the driver bug killed the worker) and completes; at no moment is part of a page visible; every review is stored once.
it("a crawl whose Postgres restarts mid-batch fails, retries with backoff, completes, and never shows part of a page", { timeout: 150_000 }, async () => {
  const app = await upsertApp(database.db, { name: "喵记", appstoreId: "1500000001", appstoreCountries: ["cn"] });
  const w = await createWatchlist(database.db, { appId: app.id, keywords: [], sources: ["appstore"], intervalSec: 900, enabled: false, by: "test" });
  sandbox.fail({ match: "/cn/rss/customerreviews/page=3/", delayMs: 1000, times: 1 });
  // The queue's 30 s base backoff, shortened: what is tested is that the job is retried, not how long it waits.
  const job = await queue.add("crawl", { watchlistId: w.id, source: "appstore", trigger: "manual" }, { jobId: `pg-restart-${w.id}`, attempts: 8, backoff: { type: "exponential", delay: 300 } });

  await waitFor(() => sandbox.requests.some((r) => r.path.includes("/cn/rss/customerreviews/page=3/")), "the crawl to reach page 3");
  expect(await count()).toBe(100);

  // Hold page 3's insert inside its transaction, so the shutdown lands mid-batch. psql holds the
  // lock: a postgres.js transaction cut by the shutdown would trip porsager/postgres#1208 in this process.
  const url = new URL(config.databaseUrl);
  locker = spawn("psql", ["-h", url.hostname, "-p", url.port, "-U", "postgres", "-d", "postgres", "-c", "begin; lock table mentions in exclusive mode; select pg_sleep(600);"], { stdio: "ignore" });
  const lockerExit = new Promise((resolve) => locker!.once("exit", resolve));
  await waitFor(
    async () => Number((await database.sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike '%insert into mentions%'`)[0]!.n) > 0,
    "page 3's insert to wait inside its transaction",
  );

  const seen: number[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const n = await count().catch(() => null);
      if (n !== null) seen.push(n);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();

  await pg!.stop();
  await lockerExit;
  await new Promise((r) => setTimeout(r, 1000));
  await pg!.start();

  // Like a process supervisor: postgres.js 3.4.9 can kill the worker when the server cuts a
  // connection that was inside a transaction (porsager/postgres#1208), so a dead worker is replaced.
  let replaced = 0;
  const state = await jobOutcome(job, "the job to finish after Postgres came back", 90_000, () => {
    if (worker!.exitCode === null) return;
    replaced++;
    worker = spawnWorker(childEnv);
  });
  polling = false;
  await poller;

  expect(state).toBe("completed");
  expect(replaced).toBeLessThanOrEqual(1);
  expect(await count()).toBe(INITIAL_REVIEWS);
  // Pages hold 50 reviews: any other count would be part of a batch.
  expect(seen.length).toBeGreaterThan(0);
  expect(seen.filter((n) => n % 50 !== 0 && n !== INITIAL_REVIEWS)).toEqual([]);
  expect(Number((await database.sql`select count(*)::int as n from (select 1 from mentions group by source, external_id having count(*) > 1) d`)[0]!.n)).toBe(0);

  const runs = await database.sql<{ status: string; attempt: number }[]>`select status, attempt from crawl_runs where job_id = ${job.id!} order by id`;
  expect(runs.length).toBeGreaterThanOrEqual(2);
  expect(runs.at(-1)).toMatchObject({ status: "ok" });
  // The attempt Postgres cut could not record its own end; the retry says what became of it.
  expect(["abandoned", "failed"]).toContain(runs[0]!.status);
  // A worker that survived retried through BullMQ's backoff (a failed attempt counted); a replaced
  // one's job came back through stalled-job recovery, which counts no failed attempt.
  if (replaced === 0) expect(runs.at(-1)!.attempt).toBeGreaterThan(1);
});
