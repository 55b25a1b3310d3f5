import { Worker, type Job } from "bullmq";
import type { Logger } from "pino";
import { runNotify, type NotifyJobData, type NotifyJobResult } from "../../jobs/notify.ts";
import { runSpikeCheck, SPIKE_CHECK_JOB } from "../../jobs/spikes.ts";
import { runSweepOutbox, SWEEP_OUTBOX_JOB } from "../../jobs/sweep-outbox.ts";
import type { Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import { ALERT_CHECKS_QUEUE, NOTIFY_QUEUE, alertChecksQueue, notifyQueue, redisConnection, type NotifyQueue } from "../queues.ts";
import type { AlertConfig } from "./config.ts";
import { enqueueRange, sweepOutbox } from "./enqueue.ts";
import { closeHttpAgents } from "./http.ts";
import { OUTBOX_CHANNEL } from "./outbox.ts";

export interface AlertingOptions {
  database: Database;
  logger: Logger;
  /** @default config.alerts */
  alertConfig?: AlertConfig;
  /** Where the console channel prints. @default stdout */
  print?: (line: string) => void;
  /** Run the sweeper and spike check as repeatable jobs. @default true */
  checks?: boolean;
}

export interface RunningAlerting {
  queue: NotifyQueue;
  worker: Worker<NotifyJobData, NotifyJobResult>;
  close(): Promise<void>;
}

/**
 * Starts alert delivery in this process: listens for outbox commits and enqueues their
 * deliveries at once, runs the notify worker, and keeps the outbox sweeper and spike check
 * scheduled. A (re)connected listener sweeps everything pending, since notifications sent while
 * it was away are gone.
 */
export async function startAlerting(config: Readonly<Config>, options: AlertingOptions): Promise<RunningAlerting> {
  const { database, logger } = options;
  const configured = options.alertConfig ?? config.alerts;
  // LISTEN needs a connection of its own. With a single-connection database (the demo's embedded
  // Postgres) the sweeper does the enqueueing instead, every second and without a grace period.
  const listen = config.dbPoolSize > 1;
  const alertConfig: AlertConfig = listen ? configured : { ...configured, sweepEveryMs: Math.min(configured.sweepEveryMs, 1000), graceMs: 0 };
  const queueConnection = redisConnection(config.redisUrl);
  const workerConnection = redisConnection(config.redisUrl);
  const checksConnection = redisConnection(config.redisUrl);
  const queue = notifyQueue(config, queueConnection);
  const checks = alertChecksQueue(config, queueConnection);
  const enqueueDeps = { sql: database.sql, queue, logger, config: alertConfig };

  const fail = (what: string) => (err: unknown) => logger.error({ err: (err as Error).message }, what);
  let closing: Promise<void> | null = null;
  // The listener may fire (or reconnect, which sweeps) while close() runs; the queue is gone then.
  const listener = listen
    ? await database.sql.listen(
        OUTBOX_CHANNEL,
        (payload) => void (closing ? null : enqueueRange(database.sql, queue, payload, alertConfig).catch(fail("enqueueing committed alerts failed; the sweeper will"))),
        () => void (closing ? null : sweepOutbox(enqueueDeps, { graceMs: 0 }).catch(fail("outbox sweep failed"))),
      )
    : null;

  const worker = new Worker<NotifyJobData, NotifyJobResult>(
    NOTIFY_QUEUE,
    (job: Job<NotifyJobData, NotifyJobResult>, token?: string) =>
      runNotify({ sql: database.sql, logger, timeoutMs: alertConfig.timeoutMs, ...(options.print ? { print: options.print } : {}) }, job, token),
    {
      connection: workerConnection,
      prefix: config.queuePrefix,
      concurrency: alertConfig.concurrency,
      stalledInterval: config.stalledIntervalMs,
      lockDuration: Math.max(config.lockDurationMs, alertConfig.timeoutMs * 2),
      maxStalledCount: 2,
    },
  );
  worker.on("error", fail("notify worker error"));

  let checksWorker: Worker | null = null;
  if (options.checks ?? true) {
    const schedule = async () => {
      await checks.upsertJobScheduler(SWEEP_OUTBOX_JOB, { every: alertConfig.sweepEveryMs }, { name: SWEEP_OUTBOX_JOB, data: {} });
      await checks.upsertJobScheduler(SPIKE_CHECK_JOB, { every: alertConfig.spikeEveryMs }, { name: SPIKE_CHECK_JOB, data: {} });
    };
    await schedule();
    // A Redis restarted without persistence comes back empty: put the sweeper back on every reconnect.
    queueConnection.on("ready", () => void schedule().catch(fail("rescheduling the alert checks failed")));
    checksWorker = new Worker(
      ALERT_CHECKS_QUEUE,
      async (job: Job) => {
        if (job.name === SWEEP_OUTBOX_JOB) return runSweepOutbox(enqueueDeps);
        if (job.name === SPIKE_CHECK_JOB) return runSpikeCheck({ sql: database.sql, logger });
        return null;
      },
      { connection: checksConnection, prefix: config.queuePrefix, concurrency: 1 },
    );
    checksWorker.on("error", fail("alert checks worker error"));
  }
  await worker.waitUntilReady();

  return {
    queue,
    worker,
    close() {
      closing ??= (async () => {
        await listener?.unlisten().catch(() => {});
        await worker.close();
        await checksWorker?.close();
        await checks.close();
        await queue.close();
        await closeHttpAgents();
        queueConnection.disconnect();
        workerConnection.disconnect();
        checksConnection.disconnect();
      })();
      return closing;
    },
  };
}
