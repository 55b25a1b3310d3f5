/**
 * Scale-out bench: the same backlog of crawl jobs (first runs of sandbox watchlists on a store,
 * Weibo, Tieba, Discourse and a configured forum) processed by one, then by two `earshot worker`
 * processes sharing Redis and Postgres, each phase in a scratch database and queue prefix of its
 * own. Prints the throughput of each and proves that no job ran twice to completion and no row
 * is duplicated.
 *
 *   npm run bench:scale [-- --watchlists 30 --concurrency 4]
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { loadConfig, sourceEnvKey } from "../src/config.ts";
import { openDatabase } from "../src/db/client.ts";
import { startSandbox } from "../src/sandbox/server.ts";
import { crawlQueue, redisConnection } from "../src/queues.ts";
import { spawnWorker, waitFor } from "../test/helpers/child.ts";
import { deleteKeys } from "../test/helpers/env.ts";
import { BENCH_SOCIAL, BENCH_STORES, report, scratchDatabase, seedSandboxWatchlists, type Figure } from "./lib.ts";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const WATCHLISTS = arg("--watchlists", 30);
/** Crawl jobs each worker process runs at once (EARSHOT_WORKER_CONCURRENCY). */
const CONCURRENCY = arg("--concurrency", 4);

const figures: Figure[] = [];
const figure = (name: string, value: number, unit: string) => figures.push({ figure: name, value, unit });
const say = (line: string) => console.error(line);
const count = async (sql: ReturnType<typeof openDatabase>["sql"], query: string) => Number((await sql.unsafe(query))[0]!.n);

/** CPU seconds a process has used (utime + stime in /proc, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

const sandbox = await startSandbox();

async function phase(workers: number) {
  const scratch = await scratchDatabase(`scale${workers}`);
  const prefix = `bench-scale-${randomBytes(4).toString("hex")}`;
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("EARSHOT_")));
  Object.assign(env, {
    DATABASE_URL: scratch.url,
    EARSHOT_QUEUE_PREFIX: prefix,
    EARSHOT_SANDBOX_URL: sandbox.url,
    EARSHOT_WORKER_CONCURRENCY: String(CONCURRENCY),
    EARSHOT_COOKIE_WEIBO: "SUB=_2Abench; SUBP=bench",
    LOG_LEVEL: "warn",
  });
  // The sandbox is local: politeness must not be what limits the workers.
  for (const id of [...BENCH_STORES, ...BENCH_SOCIAL]) env[`EARSHOT_POLITENESS_${sourceEnvKey(id)}`] = "16/0";
  const config = loadConfig(env);
  const database = openDatabase(config.databaseUrl);
  const connection = redisConnection(config.redisUrl);
  const queue = crawlQueue(config, connection);
  const children: ReturnType<typeof spawnWorker>[] = [];
  try {
    // Disabled: a worker's reconcile schedules nothing of them, so the backlog below is all it runs.
    const targets = await seedSandboxWatchlists(database.db, sandbox, { count: WATCHLISTS, keywords: ["闪退", "卡顿"], enabled: false });
    const jobs = targets.flatMap((t) => t.sources.map((source) => ({ watchlistId: t.watchlistId, source })));

    for (let i = 0; i < workers; i++) children.push(spawnWorker(env));
    await Promise.all(children.map((c) => waitFor(() => c.output().includes("earshot worker running"), `worker ${c.pid} to start:\n${c.output()}`, 120_000)));
    const cpuBefore = children.map((c) => cpuSeconds(c.pid!));
    const benchCpuBefore = process.cpuUsage();

    say(`${workers} worker(s): ${jobs.length} crawl jobs…`);
    const start = performance.now();
    await queue.addBulk(
      jobs.map((j) => ({ name: "crawl", data: { watchlistId: j.watchlistId, source: j.source, trigger: "manual" }, opts: { jobId: `scale-${j.watchlistId}-${j.source}` } })),
    );
    let load = loadavg()[0]!;
    const counts = await waitFor(
      async () => {
        load = Math.max(load, loadavg()[0]!);
        const c = await queue.getJobCounts("completed", "failed");
        return c.completed! + c.failed! >= jobs.length ? c : null;
      },
      `${jobs.length} jobs to finish`,
      3_600_000,
    );
    const ms = performance.now() - start;
    const cpu = children.map((c, i) => cpuSeconds(c.pid!) - cpuBefore[i]!);
    const benchCpu = process.cpuUsage(benchCpuBefore);
    // The Postgres backends of this phase's database (the workers' pools, opened for the backlog).
    const backends = await database.sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
    const postgresCpu = backends.reduce((a, b) => a + (cpuSeconds(b.pid) || 0), 0);

    const { sql } = database;
    const runsOk = await count(sql, "select count(*)::int as n from crawl_runs where status = 'ok'");
    const completedTwice = await count(sql, "select count(*)::int as n from (select job_id from crawl_runs where status = 'ok' group by job_id having count(*) > 1) d");
    const duplicateRows =
      (await count(sql, "select count(*)::int as n from (select 1 from mentions group by source, external_id having count(*) > 1) d")) +
      (await count(sql, "select count(*)::int as n from (select 1 from mention_matches group by mention_id, watchlist_id, keyword having count(*) > 1) d")) +
      (await count(sql, "select count(*)::int as n from (select 1 from source_cursors group by watchlist_id, source, scope having count(*) > 1) d"));
    const mentions = await count(sql, "select count(*)::int as n from mentions");
    return {
      jobs: jobs.length,
      ms,
      completed: counts.completed!,
      failed: counts.failed!,
      runsOk,
      completedTwice,
      duplicateRows,
      mentions,
      cpu,
      postgresCpu,
      sandboxCpu: (benchCpu.user + benchCpu.system) / 1e6,
      load,
    };
  } finally {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve();
            c.once("exit", () => resolve());
            c.kill("SIGTERM");
          }),
      ),
    );
    await queue.close();
    await deleteKeys(connection, `${config.queuePrefix}:*`);
    connection.disconnect();
    await database.close();
    await scratch.drop();
  }
}

try {
  const one = await phase(1);
  const two = await phase(2);
  for (const [label, r] of [["1_worker", one], ["2_workers", two]] as const) {
    figure(`scale_${label}_jobs`, r.jobs, "jobs");
    figure(`scale_${label}_ms`, r.ms, "ms");
    figure(`scale_${label}_jobs_per_s`, r.jobs / (r.ms / 1000), "jobs/s");
    figure(`scale_${label}_mentions_per_s`, r.mentions / (r.ms / 1000), "mentions/s");
    figure(`scale_${label}_failed_jobs`, r.failed, "jobs");
    r.cpu.forEach((s, i) => figure(`scale_${label}_worker${i + 1}_cpu_s`, s, "s"));
    figure(`scale_${label}_postgres_cpu_s`, r.postgresCpu, "s");
    figure(`scale_${label}_sandbox_cpu_s`, r.sandboxCpu, "s");
    figure(`scale_${label}_peak_load_average`, r.load, "");
  }
  figure("scale_speedup", one.ms / two.ms, "x");
  figure("scale_jobs_completed_twice", one.completedTwice + two.completedTwice, "jobs");
  figure("scale_duplicate_rows", one.duplicateRows + two.duplicateRows, "rows");
  figure("scale_mentions_differ", Math.abs(one.mentions - two.mentions), "mentions");
  report(`scale-out bench: ${WATCHLISTS} watchlists × ${1 + BENCH_SOCIAL.length} sources, 1 then 2 worker processes of concurrency ${CONCURRENCY}`, figures);
  const bad = [one, two].some((r) => r.failed > 0 || r.completed !== r.jobs || r.runsOk !== r.jobs || r.completedTwice > 0 || r.duplicateRows > 0);
  if (bad) {
    say(`not as expected: ${JSON.stringify({ one, two })}`);
    process.exitCode = 1;
  }
} finally {
  await sandbox.close();
}
