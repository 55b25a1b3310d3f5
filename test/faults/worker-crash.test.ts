import { afterAll, beforeAll, expect, it } from "vitest";
import { createWatchlist, upsertApp } from "../../src/db/repo/watchlists.ts";
import { crawlQueue, redisConnection, type CrawlQueue } from "../../src/queues.ts";
import { INITIAL_REVIEWS } from "../../src/sandbox/appstore.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { spawnWorker, waitFor } from "../helpers/child.ts";
import { fastFetchEnv } from "../helpers/crawl.ts";
import { createTestEnv, type TestEnv } from "../helpers/env.ts";

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
it("picks up the job of a worker killed mid-crawl and completes it with no duplicate and nothing lost", async () => {
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
  const state = await waitFor(async () => {
    const s = await job.getState();
    return s === "completed" || s === "failed" ? s : null;
  }, "the job to finish after the restart", 90_000);
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
it("finishes the running job before stopping on SIGTERM", async () => {
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
