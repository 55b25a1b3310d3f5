import type { Logger } from "pino";
import { runRetention } from "../src/api/privacy.ts";
import type { Database } from "../src/db/client.ts";

export const RETENTION_JOB = "retention";

export interface RetentionScheduleOptions {
  database: Database;
  logger: Pick<Logger, "info" | "warn">;
  /** Time between sweeps. @default one hour */
  everyMs?: number;
  /** Time before the first sweep, so a process restarted more often than everyMs still sweeps. @default 1 minute, or everyMs when shorter */
  firstAfterMs?: number;
}

export interface RetentionSchedule {
  /** Stops the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
}

/** One retention sweep: deletes mentions past their app's retention (daily counts kept), pseudonymises authors. */
export async function runRetentionJob(deps: { database: Database; logger: Pick<Logger, "info"> }) {
  const result = await runRetention(deps.database);
  if (result.deletedMentions || result.pseudonymised) deps.logger.info({ job: RETENTION_JOB, ...result }, "retention sweep");
  return result;
}

/**
 * Sweeps on a timer in this process. Every worker and API process may run one: the sweep takes a
 * Postgres advisory lock, so one sweeps at a time and the others skip. A timer rather than a
 * queued job, because the sweep needs nothing from Redis and must not wait behind crawls.
 */
export function scheduleRetention(options: RetentionScheduleOptions): RetentionSchedule {
  const everyMs = options.everyMs ?? 3600_000;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const sweep = () => {
    if (stopped) return;
    running = runRetentionJob(options).catch((err: unknown) =>
      options.logger.warn({ job: RETENTION_JOB, err: (err as Error).message }, "retention sweep failed; next try on schedule"),
    );
  };
  const first = setTimeout(sweep, options.firstAfterMs ?? Math.min(60_000, everyMs));
  const timer = setInterval(sweep, everyMs);
  first.unref();
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
