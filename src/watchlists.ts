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
