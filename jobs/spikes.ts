import type { Logger } from "pino";
import { checkSpikes, type SpikeCheckResult } from "../src/alerts/spikes.ts";
import type { Sql } from "../src/db/client.ts";

export const SPIKE_CHECK_JOB = "spike-check";

/** The repeatable spike check over every spike rule. */
export function runSpikeCheck(deps: { sql: Sql; logger: Logger }): Promise<SpikeCheckResult> {
  return checkSpikes(deps);
}
