import type { JobsOptions } from "bullmq";
import type { Logger } from "pino";
import type { NotifyJobData } from "../../jobs/notify.ts";
import type { Sql } from "../db/client.ts";
import type { NotifyQueue } from "../queues.ts";
import type { AlertConfig } from "./config.ts";

/** A pending outbox row, as the enqueuer needs it. */
export interface PendingDelivery {
  id: string;
  alertId: string;
  channelId: number;
  watchlistId: number | null;
  /** A Date, or the text Postgres sent (drizzle leaves timestamps unparsed on the shared client). */
  digestUntil: Date | string | null;
}

/** Stable job ids (BullMQ ids may not hold ':' nor be all digits), so adding twice adds once. */
export function notifyJobId(d: Pick<PendingDelivery, "alertId" | "channelId" | "watchlistId" | "digestUntil">): string {
  return d.digestUntil
    ? `digest-${d.channelId}-${d.watchlistId ?? 0}-${Math.floor(new Date(d.digestUntil).getTime() / 1000)}`
    : `deliver-${d.alertId}-${d.channelId}`;
}

/** Retries with exponential backoff and jitter, then the job fails and its deliveries are dead. */
export function notifyJobOptions(config: Pick<AlertConfig, "attempts" | "backoffMs">): JobsOptions {
  return {
    attempts: config.attempts,
    backoff: { type: "exponential", delay: config.backoffMs, jitter: 0.3 },
    removeOnComplete: { age: 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
  };
}

function jobFor(d: PendingDelivery, opts: JobsOptions, now: number): { name: string; data: NotifyJobData; opts: JobsOptions } {
  if (d.digestUntil) {
    const until = new Date(d.digestUntil);
    return {
      name: "digest",
      data: { digest: true, channelId: d.channelId, watchlistId: d.watchlistId, until: until.toISOString() },
      opts: { ...opts, jobId: notifyJobId(d), delay: Math.max(0, until.getTime() - now) },
    };
  }
  return { name: "deliver", data: { alertId: Number(d.alertId), channelId: d.channelId }, opts: { ...opts, jobId: notifyJobId(d) } };
}

const selectPending = `
  select d.id, d.alert_id as "alertId", d.channel_id as "channelId", a.watchlist_id as "watchlistId", d.digest_until as "digestUntil"
  from deliveries d join alerts a on a.id = d.alert_id
  where d.state = 'pending'`;

/** Adds a job for each pending delivery (one per digest window); existing job ids are left alone. */
export async function enqueueDeliveries(queue: NotifyQueue, rows: readonly PendingDelivery[], config: Pick<AlertConfig, "attempts" | "backoffMs">): Promise<number> {
  if (rows.length === 0) return 0;
  const opts = notifyJobOptions(config);
  const now = Date.now();
  const byId = new Map<string, ReturnType<typeof jobFor>>();
  for (const r of rows) {
    const job = jobFor(r, opts, now);
    byId.set(job.opts.jobId!, job);
  }
  await queue.addBulk([...byId.values()]);
  return byId.size;
}

/** Enqueues the pending deliveries a commit notification names ("<min>-<max>" delivery ids). */
export async function enqueueRange(sql: Sql, queue: NotifyQueue, payload: string, config: Pick<AlertConfig, "attempts" | "backoffMs">): Promise<number> {
  const m = /^(\d+)-(\d+)$/.exec(payload);
  if (!m) return 0;
  const rows = await sql.unsafe<PendingDelivery[]>(`${selectPending} and d.id between $1 and $2 order by d.id`, [m[1]!, m[2]!]);
  return enqueueDeliveries(queue, rows, config);
}

export interface SweepResult {
  checked: number;
  enqueued: number;
  dead: number;
}

/**
 * Finds outbox rows older than the grace period that have no live job (Redis lost its data, the
 * process died between commit and enqueue) and enqueues them. A job that failed without marking
 * its deliveries dead (its worker died on the last try) gets them marked dead now.
 */
export async function sweepOutbox(
  deps: { sql: Sql; queue: NotifyQueue; logger: Logger; config: Pick<AlertConfig, "attempts" | "backoffMs"> },
  options: { graceMs: number; limit?: number },
): Promise<SweepResult> {
  const { sql, queue } = deps;
  const rows = await sql.unsafe<PendingDelivery[]>(
    `${selectPending} and d.created_at < now() - make_interval(secs => $1::float8 / 1000) order by d.id limit $2`,
    [options.graceMs, options.limit ?? 1000],
  );
  const result: SweepResult = { checked: rows.length, enqueued: 0, dead: 0 };
  const missing: PendingDelivery[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    const id = notifyJobId(r);
    if (seen.has(id)) continue;
    seen.add(id);
    const job = await queue.getJob(id);
    if (!job) {
      missing.push(r);
      continue;
    }
    const state = await job.getState();
    if (state === "failed") {
      const error = `the delivery job failed without recording it: ${job.failedReason ?? "unknown reason"}`;
      const dead = await sql`
        update deliveries set state = 'dead', last_error = ${error}, updated_at = now()
        where state = 'pending' and ${r.digestUntil ? sql`digest_until = ${r.digestUntil} and channel_id = ${r.channelId}` : sql`id = ${r.id}`}`;
      result.dead += dead.count;
    } else if (state === "completed" || state === "unknown") {
      // Completed: it joined a digest window after its job ran, so send it on its own, now.
      // Unknown: Redis kept the job's record but lost the list that held it (a partial loss), so
      // no worker will ever pick it up, and adding the same id again would be a no-op.
      await job.remove().catch(() => {});
      missing.push(r);
    }
  }
  result.enqueued = await enqueueDeliveries(queue, missing, deps.config);
  if (result.enqueued || result.dead) deps.logger.info(result, "outbox sweep re-enqueued deliveries");
  return result;
}
