import type { Db } from "../src/db/client.ts";
import { listWatchlists } from "../src/db/repo/watchlists.ts";
import { crawlJobOptions, schedulerId, type CrawlQueue } from "../src/queues.ts";
import { getSource } from "../src/sources/index.ts";

export interface ReconcileResult {
  created: number;
  updated: number;
  removed: number;
  unchanged: number;
}

/**
 * Makes BullMQ's job schedulers match the watchlists in Postgres, the source of truth: one
 * scheduler per enabled (watchlist, source) at the watchlist's interval; others are removed.
 * The only caller of upsertJobScheduler. Run at worker start and after every watchlist change,
 * so a flushed Redis loses nothing.
 */
export async function reconcileSchedulers(db: Db, queue: CrawlQueue): Promise<ReconcileResult> {
  const result: ReconcileResult = { created: 0, updated: 0, removed: 0, unchanged: 0 };
  const desired = new Map<string, { watchlistId: number; source: string; every: number }>();
  for (const w of await listWatchlists(db, { enabledOnly: true })) {
    for (const source of w.sources) {
      if (!getSource(source)) continue;
      desired.set(schedulerId(w.id, source), { watchlistId: w.id, source, every: w.intervalSec * 1000 });
    }
  }

  const existing = new Map((await queue.getJobSchedulers(0, -1)).map((s) => [s.key, s]));
  for (const [id, want] of desired) {
    const have = existing.get(id);
    if (have && have.every === want.every && have.template?.data?.watchlistId === want.watchlistId) {
      result.unchanged++;
      continue;
    }
    await queue.upsertJobScheduler(
      id,
      { every: want.every },
      { name: "crawl", data: { watchlistId: want.watchlistId, source: want.source, trigger: "schedule" }, opts: crawlJobOptions },
    );
    if (have) result.updated++;
    else result.created++;
  }
  for (const id of existing.keys()) {
    if (id.startsWith("wl-") && !desired.has(id)) {
      await queue.removeJobScheduler(id);
      result.removed++;
    }
  }
  return result;
}
