import { runRetention } from "./privacy.ts";
import type { RunningApi } from "./server.ts";

const HOUR = 3600_000;

/**
 * Runs the retention sweep hourly in the serving process (several processes are fine: one sweeps
 * at a time). Returns a function that stops it.
 */
export function startRetentionTimer(running: RunningApi, everyMs = HOUR): () => void {
  const timer = setInterval(() => {
    void runRetention(running.database).catch((err) => running.app.log.warn({ err: (err as Error).message }, "retention sweep failed"));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
