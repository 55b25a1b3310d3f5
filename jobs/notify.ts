import { DelayedError, UnrecoverableError, type Job } from "bullmq";
import { deliver, type DeliveryDeps, type DeliveryOutcome, type DeliveryTarget } from "../src/alerts/delivery.ts";

/** One alert to one channel, or every pending alert of a watchlist's digest window to one channel. */
export type NotifyJobData =
  | { alertId: number; channelId: number }
  | { digest: true; channelId: number; watchlistId: number | null; until: string };

export type NotifyJobResult = DeliveryOutcome;

export function notifyTarget(data: NotifyJobData): DeliveryTarget {
  return "digest" in data
    ? { kind: "digest", channelId: data.channelId, watchlistId: data.watchlistId, until: data.until }
    : { kind: "one", alertId: data.alertId, channelId: data.channelId };
}

/**
 * Processes a notify job. A retryable failure throws (BullMQ retries with backoff); a dead
 * delivery ends the job for good; quiet hours, or
 * another worker sending the same deliveries, move the job on without using a try.
 */
export async function runNotify(deps: DeliveryDeps, job: Job<NotifyJobData, NotifyJobResult>, token?: string): Promise<NotifyJobResult> {
  const isLastTry = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  const outcome = await deliver(deps, notifyTarget(job.data), isLastTry);
  switch (outcome.result) {
    case "quiet":
    case "held":
      await job.moveToDelayed(outcome.until.getTime(), token);
      throw new DelayedError();
    case "retry":
      throw new Error(outcome.error);
    case "dead":
      throw new UnrecoverableError(outcome.error);
    default:
      return outcome;
  }
}
