import type { Logger } from "pino";
import type { AlertConfig } from "../src/alerts/config.ts";
import { sweepOutbox, type SweepResult } from "../src/alerts/enqueue.ts";
import type { Sql } from "../src/db/client.ts";
import type { NotifyQueue } from "../src/queues.ts";

export const SWEEP_OUTBOX_JOB = "sweep-outbox";

/** The repeatable sweep: outbox rows without a live job are enqueued again, so no alert is lost. */
export function runSweepOutbox(deps: { sql: Sql; queue: NotifyQueue; logger: Logger; config: AlertConfig }): Promise<SweepResult> {
  return sweepOutbox(deps, { graceMs: deps.config.graceMs });
}
