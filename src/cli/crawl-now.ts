import type { Job } from "bullmq";
import type { CrawlJobData, CrawlJobResult } from "../../jobs/crawl.ts";
import type { Config } from "../config.ts";
import { crawlQueue, crawlQueueEvents, redisConnection, type CrawlQueue } from "../queues.ts";
import { startWorker, type RunningWorker } from "../worker.ts";

export interface CrawlNowRequest {
  watchlistId: number;
  source: string;
}

export interface CrawlNowResult extends CrawlNowRequest {
  result: CrawlJobResult | null;
  error: string | null;
}

/**
 * Runs crawls now, through the queue. When no worker is listening, one is started in this process
 * for the duration, so the command works with or without `earshot worker` running.
 */
export async function crawlNow(
  config: Readonly<Config>,
  requests: readonly CrawlNowRequest[],
  options: { trigger?: string; timeoutMs?: number; worker?: RunningWorker } = {},
): Promise<CrawlNowResult[]> {
  const connection = redisConnection(config.redisUrl);
  const eventsConnection = redisConnection(config.redisUrl);
  const queue: CrawlQueue = crawlQueue(config, connection);
  const events = crawlQueueEvents(config, eventsConnection);
  let ownWorker: RunningWorker | null = null;
  try {
    await events.waitUntilReady();
    // Each waiting job listens on the same QueueEvents.
    events.setMaxListeners(requests.length * 2 + 10);
    const stamp = Date.now();
    const jobs: Job<CrawlJobData, CrawlJobResult>[] = [];
    for (const r of requests) {
      jobs.push(
        await queue.add(
          "crawl",
          { watchlistId: r.watchlistId, source: r.source, trigger: options.trigger ?? "manual" },
          { jobId: `manual-${r.watchlistId}-${r.source}-${stamp}`, attempts: 1 },
        ),
      );
    }
    if (!options.worker && (await queue.getWorkers()).length === 0) {
      ownWorker = await startWorker(config, { reconcile: false });
    }
    return await Promise.all(
      jobs.map(async (job, i) => {
        try {
          const result = (await job.waitUntilFinished(events, options.timeoutMs ?? 300_000)) as CrawlJobResult;
          return { ...requests[i]!, result, error: null };
        } catch (err) {
          return { ...requests[i]!, result: null, error: (err as Error).message };
        }
      }),
    );
  } finally {
    await ownWorker?.close();
    await events.close();
    await queue.close();
    connection.disconnect();
    eventsConnection.disconnect();
  }
}
