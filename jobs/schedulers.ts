import type { Db } from "../src/db/client.ts";
import { listWatchlists } from "../src/db/repo/watchlists.ts";
import { crawlJobOptions, schedulerId, type CrawlQueue } from "../src/queues.ts";
import type { CrawlJobData } from "./crawl.ts";
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

  const existing = await readSchedulers(queue);
  const upserts: { id: string; want: { watchlistId: number; source: string; every: number }; update: boolean }[] = [];
  for (const [id, want] of desired) {
    const have = existing.get(id);
    if (have && have.every === String(want.every) && have.data === JSON.stringify(templateData(want))) result.unchanged++;
    else upserts.push({ id, want, update: Boolean(have) });
  }
  const removals = [...existing.keys()].filter((id) => id.startsWith("wl-") && !desired.has(id));

  await inFlight(upserts, async ({ id, want, update }) => {
    await queue.upsertJobScheduler(
      id,
      { every: want.every },
      { name: "crawl", data: templateData(want), opts: crawlJobOptions },
    );
    if (update) result.updated++;
    else result.created++;
  });
  await inFlight(removals, async (id) => {
    await queue.removeJobScheduler(id);
    result.removed++;
  });
  return result;
}

function templateData(want: { watchlistId: number; source: string }): CrawlJobData {
  return { watchlistId: want.watchlistId, source: want.source, trigger: "schedule" };
}

/**
 * Every scheduler's interval and job data as stored (`every`, and `data` as the JSON BullMQ
 * wrote), by id: the ids in one ZRANGE, then one HMGET each in a single pipeline, on the keys
 * BullMQ's own getJobSchedulers reads. getJobSchedulers itself awaits an HGETALL per scheduler
 * and parses each template, which took seconds for 20,000 schedulers.
 */
async function readSchedulers(queue: CrawlQueue): Promise<Map<string, { every: string | null; data: string | null }>> {
  const client = await queue.getBackend().client;
  const ids = await client.zrange(queue.keys.repeat!, 0, -1);
  const pipeline = client.pipeline();
  for (const id of ids) pipeline.runCommand("hmget", [queue.toKey(`repeat:${id}`), "every", "data"]);
  const replies = (await pipeline.exec()) ?? [];
  const out = new Map<string, { every: string | null; data: string | null }>();
  ids.forEach((id, i) => {
    const [err, fields] = replies[i] ?? [null, null];
    if (err) throw err;
    // A scheduler whose hash is gone reads as nulls: upserted again if wanted, removed if not.
    const [every, data] = (fields as (string | null)[] | null) ?? [null, null];
    out.set(id, { every: every ?? null, data: data ?? null });
  });
  return out;
}

/**
 * Commands in flight at once. Each upsert is one script call; awaiting them one by one costs a
 * round trip each (20,000 schedulers: about 90 s on a loaded 2-core machine), while ioredis writes concurrent calls back to
 * back on the one connection, so a window of them costs about one round trip.
 */
const IN_FLIGHT = 200;

async function inFlight<T>(items: readonly T[], run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(IN_FLIGHT, items.length) }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}
