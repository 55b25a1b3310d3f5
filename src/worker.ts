import { DelayedError, UnrecoverableError, Worker, type Job } from "bullmq";
import type { Logger } from "pino";
import { runCrawl, type CrawlDeps, type CrawlJobData, type CrawlJobResult } from "../jobs/crawl.ts";
import { scheduleRetention, type RetentionScheduleOptions } from "../jobs/retention.ts";
import { reconcileSchedulers } from "../jobs/schedulers.ts";
import { createAlertStage } from "./alerts/outbox.ts";
import { startAlerting, type RunningAlerting } from "./alerts/runtime.ts";
import { createSourceHealthMonitor } from "./alerts/source-health.ts";
import type { AlertStage } from "./alerts/stage.ts";
import type { Config } from "./config.ts";
import { migrateDatabase, openDatabase, type Database } from "./db/client.ts";
import { NonRetryableError, ParseError, RateLimitedError, errorMessage } from "./errors.ts";
import { closeSharedBrowser } from "./fetch/browser.ts";
import { createFetcher } from "./fetch/index.ts";
import { createLogger } from "./logger.ts";
import { loadModel } from "./nlp/index.ts";
import { CRAWL_QUEUE, crawlQueue, redisConnection, type CrawlQueue } from "./queues.ts";
import { sources } from "./sources/index.ts";

export interface WorkerOptions {
  /** Jobs run at once in this process. @default config.workerConcurrency */
  concurrency?: number;
  /** Reconcile job schedulers with Postgres at start. @default true */
  reconcile?: boolean;
  /** @default the alert rules' stage (src/alerts/outbox.ts) */
  alertStage?: AlertStage;
  /** Also deliver alerts (notify worker, outbox sweeper, spike check). @default true */
  alerting?: boolean;
  /** Where the console alert channel prints. @default stdout */
  printAlert?: (line: string) => void;
  logger?: Logger;
  /** Sweep mentions past their app's retention on a timer (jobs/retention.ts); false: never. @default hourly */
  retention?: Pick<RetentionScheduleOptions, "everyMs" | "firstAfterMs"> | false;
  /** Also serve the HTTP API and dashboard from this process. @default off */
  api?: { port: number; host?: string };
}

export interface RunningWorker {
  worker: Worker<CrawlJobData, CrawlJobResult>;
  queue: CrawlQueue;
  database: Database;
  /** Where the API and dashboard listen, when started with the api option. */
  apiUrl: string | null;
  /** Stops taking jobs, lets running ones finish, closes connections. */
  close(): Promise<void>;
}

/**
 * Starts a crawl worker: applies migrations, rebuilds the job schedulers from Postgres, then
 * processes the crawl queue. A job whose worker died is picked up again by stalled-job recovery.
 */
export async function startWorker(config: Readonly<Config>, options: WorkerOptions = {}): Promise<RunningWorker> {
  const logger = options.logger ?? createLogger(config.logLevel);
  await migrateDatabase(config.databaseUrl);
  // Once per process, before the first page rather than during it.
  loadModel();
  const database = openDatabase(config.databaseUrl, { max: config.dbPoolSize });
  const queueConnection = redisConnection(config.redisUrl);
  const workerConnection = redisConnection(config.redisUrl);
  const fetchRedis = redisConnection(config.redisUrl);
  const queue = crawlQueue(config, queueConnection);

  const fetcher = createFetcher({
    redis: fetchRedis,
    prefix: config.queuePrefix,
    config,
    politeness: Object.fromEntries([...sources.values()].map((s) => [s.id, s.politeness])),
  });
  const deps: CrawlDeps = {
    config,
    database,
    fetcher,
    alertStage: options.alertStage ?? createAlertStage(),
    logger,
    blockBackoffMs: config.fetch.blockBackoffMs,
    sourceHealth: createSourceHealthMonitor({ sql: database.sql, logger }),
  };
  const alerting: RunningAlerting | null =
    (options.alerting ?? true) ? await startAlerting(config, { database, logger, ...(options.printAlert ? { print: options.printAlert } : {}) }) : null;

  if (options.reconcile ?? true) {
    const r = await reconcileSchedulers(database.db, queue);
    logger.info(r, "job schedulers reconciled with watchlists");
    // A Redis restarted without persistence comes back empty: rebuild the schedulers on every reconnect.
    queueConnection.on("ready", () =>
      void reconcileSchedulers(database.db, queue).then((x) => logger.info(x, "job schedulers rebuilt after Redis reconnected"), (err) => logger.error({ err: errorMessage(err) }, "rebuilding job schedulers failed")),
    );
  }

  const worker = new Worker<CrawlJobData, CrawlJobResult>(
    CRAWL_QUEUE,
    async (job: Job<CrawlJobData, CrawlJobResult>, token?: string) => {
      try {
        return await runCrawl(deps, job);
      } catch (err) {
        // The job's failed reason is what operators read: the database's words, not drizzle's wrapper.
        if (err instanceof Error && errorMessage(err) !== err.message) throw new Error(errorMessage(err), { cause: err });
        if (err instanceof RateLimitedError) {
          // Waiting out Retry-After is not a failed attempt.
          await job.moveToDelayed(Date.now() + err.retryAfterMs, token);
          throw new DelayedError();
        }
        if (err instanceof NonRetryableError || err instanceof ParseError) {
          throw new UnrecoverableError(err.message);
        }
        throw err;
      }
    },
    {
      connection: workerConnection,
      prefix: config.queuePrefix,
      concurrency: options.concurrency ?? config.workerConcurrency,
      stalledInterval: config.stalledIntervalMs,
      lockDuration: config.lockDurationMs,
      maxStalledCount: 2,
    },
  );
  worker.on("failed", (job, err) => logger.warn({ jobId: job?.id, err: errorMessage(err) }, "crawl job failed"));
  worker.on("error", (err) => logger.error({ err: err.message }, "worker error"));
  await worker.waitUntilReady();
  const retention = options.retention === false ? null : scheduleRetention({ database, logger, ...options.retention });

  // Loaded only when asked for, so a plain worker does not load the web stack.
  const api = options.api
    ? await (await import("./api/server.ts")).startApiServer(config, { ...options.api, alertStage: deps.alertStage, logger })
    : null;

  let closing: Promise<void> | null = null;
  return {
    worker,
    queue,
    database,
    apiUrl: api?.url ?? null,
    close() {
      closing ??= (async () => {
        await api?.close();
        await worker.close();
        await retention?.stop();
        await alerting?.close();
        await queue.close();
        await fetcher.close();
        await closeSharedBrowser();
        fetchRedis.disconnect();
        queueConnection.disconnect();
        workerConnection.disconnect();
        await database.close();
      })();
      return closing;
    },
  };
}
