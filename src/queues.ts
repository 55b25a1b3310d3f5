import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import type { CrawlJobData, CrawlJobResult } from "../jobs/crawl.ts";
import type { NotifyJobData, NotifyJobResult } from "../jobs/notify.ts";
import type { Config } from "./config.ts";

export const CRAWL_QUEUE = "crawl";

/** A connection BullMQ can block on (it needs maxRetriesPerRequest: null). */
export function redisConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
}

export type CrawlQueue = Queue<CrawlJobData, CrawlJobResult, string>;

export function crawlQueue(config: Readonly<Config>, connection: Redis): CrawlQueue {
  return new Queue<CrawlJobData, CrawlJobResult, string>(CRAWL_QUEUE, {
    connection,
    prefix: config.queuePrefix,
    defaultJobOptions: crawlJobOptions(config.crawlRetry),
  });
}

export function crawlQueueEvents(config: Readonly<Config>, connection: Redis): QueueEvents {
  return new QueueEvents(CRAWL_QUEUE, { connection, prefix: config.queuePrefix });
}

/** Retries with exponential backoff and jitter; finished jobs are trimmed (crawl_runs keeps the history). */
export function crawlJobOptions(retry: Config["crawlRetry"]) {
  return {
    attempts: retry.attempts,
    backoff: { type: "exponential", delay: retry.backoffMs, jitter: 0.3 },
    removeOnComplete: { count: 1000, age: 24 * 3600 },
    removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
  };
}

/** Scheduler ids name the watchlist and source, e.g. "wl-12-appstore" (BullMQ ids may not hold ':'). */
export function schedulerId(watchlistId: number, source: string): string {
  return `wl-${watchlistId}-${source}`;
}

export const NOTIFY_QUEUE = "notify";
export const ALERT_CHECKS_QUEUE = "alert-checks";

/** Deliveries of alerts to channels (one job per alert × channel, or per digest window). */
export type NotifyQueue = Queue<NotifyJobData, NotifyJobResult, string>;

export function notifyQueue(config: Readonly<Config>, connection: Redis): NotifyQueue {
  return new Queue<NotifyJobData, NotifyJobResult, string>(NOTIFY_QUEUE, { connection, prefix: config.queuePrefix });
}

/** The outbox sweeper and the spike check, as repeatable jobs. */
export type AlertChecksQueue = Queue<Record<string, never>, unknown, string>;

export function alertChecksQueue(config: Readonly<Config>, connection: Redis): AlertChecksQueue {
  return new Queue<Record<string, never>, unknown, string>(ALERT_CHECKS_QUEUE, {
    connection,
    prefix: config.queuePrefix,
    defaultJobOptions: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 1000 } },
  });
}
