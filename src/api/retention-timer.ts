import { scheduleRetention } from "../../jobs/retention.ts";
import type { RunningApi } from "./server.ts";

/**
 * Runs the retention sweep hourly in the serving process, as the worker does (several processes
 * are fine: one sweeps at a time). Returns a function that stops it.
 */
export function startRetentionTimer(running: RunningApi): () => Promise<void> {
  const schedule = scheduleRetention({ database: running.database, logger: running.app.log });
  return () => schedule.stop();
}
