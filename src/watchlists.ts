import { and, eq, sql } from "drizzle-orm";
import type { Db } from "./db/client.ts";
import { watchlists } from "./db/schema.ts";
import { parseDuration } from "./config.ts";
import { UsageError } from "./errors.ts";
import { getSource, sourceIds } from "./sources/index.ts";

/** Checks a watchlist before it is saved; every message names the field and the problem. */
export function validateWatchlist(input: { keywords: string[]; sources: string[]; intervalSec: number }): void {
  if (input.sources.length === 0) throw new UsageError(`sources: give at least one of ${sourceIds().join(", ")}`);
  for (const s of input.sources) {
    const adapter = getSource(s);
    if (!adapter) throw new UsageError(`sources: unknown source "${s}" (known: ${sourceIds().join(", ")})`);
    if (input.intervalSec < adapter.minIntervalSec) {
      throw new UsageError(
        `interval: ${formatSeconds(input.intervalSec)} is under the ${adapter.id} minimum of ${formatSeconds(adapter.minIntervalSec)}`,
      );
    }
    if (adapter.kind === "search" && input.keywords.length === 0) {
      throw new UsageError(`keywords: ${adapter.id} searches by keyword; give at least one`);
    }
  }
  for (const k of input.keywords) {
    if (k.trim() === "") throw new UsageError("keywords: an empty keyword matches nothing; remove it");
    if (k.length > 100) throw new UsageError(`keywords: "${k.slice(0, 20)}…" is longer than 100 characters`);
  }
}

export function parseInterval(text: string): number {
  try {
    return Math.round(parseDuration(text) / 1000);
  } catch {
    throw new UsageError(`interval: "${text}" is not a duration such as 15m, 1h or 1d`);
  }
}

export function formatSeconds(sec: number): string {
  if (sec % 86400 === 0) return `${sec / 86400}d`;
  if (sec % 3600 === 0) return `${sec / 3600}h`;
  if (sec % 60 === 0) return `${sec / 60}m`;
  return `${sec}s`;
}

/** "a, b,,c" → ["a", "b", "c"], also splitting on the Chinese comma. */
export function splitList(value: string | undefined): string[] {
  if (!value) return [];
  return [...new Set(value.split(/[,，]/).map((s) => s.trim()).filter(Boolean))];
}

/**
 * Watchlists are grouped by id into buckets of this many for scheduling: a change reconciles the
 * job schedulers of its bucket only, found by comparing each bucket's digest with the one stored
 * beside the schedulers.
 */
export const SCHEDULE_BUCKET = 64;

/** What decides a watchlist's job schedulers: enabled watchlists' ids, sources and intervals. */
const scheduleLine = sql`${watchlists.id} || ':' || ${watchlists.intervalSec} || ':' || array_to_string(${watchlists.sources}, ',')`;

/** Digest of the scheduling fields per non-empty bucket (bucket number → md5), in one aggregate. */
export async function scheduleDigests(db: Db): Promise<Map<number, string>> {
  const rows = await db.execute<{ bucket: number; digest: string }>(sql`
    select (${watchlists.id} / ${SCHEDULE_BUCKET}::int)::int as bucket,
           md5(string_agg(${scheduleLine}, ';' order by ${watchlists.id})) as digest
    from ${watchlists} where ${watchlists.enabled} group by 1`);
  return new Map(rows.map((r) => [Number(r.bucket), r.digest]));
}

/** The enabled watchlists of the given buckets, with what their schedulers need. */
export async function scheduledWatchlistsIn(db: Db, buckets: readonly number[]): Promise<{ id: number; sources: string[]; intervalSec: number }[]> {
  if (buckets.length === 0) return [];
  return db
    .select({ id: watchlists.id, sources: watchlists.sources, intervalSec: watchlists.intervalSec })
    .from(watchlists)
    .where(and(eq(watchlists.enabled, true), sql`(${watchlists.id} / ${SCHEDULE_BUCKET}::int) = any(${`{${buckets.join(",")}}`}::int[])`));
}
