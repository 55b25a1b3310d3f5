import type { IRedisClient } from "bullmq";
import type { Db } from "../src/db/client.ts";
import { listWatchlists } from "../src/db/repo/watchlists.ts";
import { SCHEDULE_BUCKET, scheduleDigests, scheduledWatchlistsIn } from "../src/watchlists.ts";
import { schedulerId, type CrawlQueue } from "../src/queues.ts";
import type { CrawlJobData } from "./crawl.ts";
import { getSource, sourceIds } from "../src/sources/index.ts";

export interface ReconcileResult {
  created: number;
  updated: number;
  removed: number;
  unchanged: number;
}

type Want = { watchlistId: number; source: string; every: number };
type Have = { every: string | null; data: string | null };

/**
 * Makes BullMQ's job schedulers match the watchlists in Postgres, the source of truth: one
 * scheduler per enabled (watchlist, source) at the watchlist's interval; others are removed.
 * The only caller of upsertJobScheduler. Run at worker start and when Redis reconnects, so a
 * flushed Redis loses nothing; after an admin change, reconcileChangedSchedulers does the same
 * for the changed watchlists only.
 */
export async function reconcileSchedulers(db: Db, queue: CrawlQueue): Promise<ReconcileResult> {
  // Read before the watchlists, so a change made meanwhile leaves a stale digest (redone next time), never a fresh one over stale schedulers.
  const digests = await scheduleDigests(db);
  const desired = new Map<string, Want>();
  for (const w of await listWatchlists(db, { enabledOnly: true })) addWanted(desired, w);
  const result = await apply(queue, desired, await readSchedulers(queue), (id) => id.startsWith("wl-"));
  await writeDigests(queue, digests, null);
  return result;
}

/**
 * Reconciles the schedulers of the watchlists changed since the last reconcile, and no other: each
 * bucket of SCHEDULE_BUCKET watchlists whose digest in Postgres differs from the one stored in
 * Redis by the last reconcile (a bucket whose watchlists were all deleted or disabled included).
 * Costs one aggregate over the watchlists and a few commands per changed bucket, whatever the
 * number of watchlists. With no digests in Redis (never reconciled, or Redis lost its data) it is
 * the full reconcile.
 */
export async function reconcileChangedSchedulers(db: Db, queue: CrawlQueue): Promise<ReconcileResult> {
  const client = await queue.getBackend().client;
  const stored = await client.hgetall(digestKey(queue));
  if (Object.keys(stored).length === 0) return reconcileSchedulers(db, queue);
  const digests = await scheduleDigests(db);
  const changed = new Set<number>();
  for (const [bucket, digest] of digests) if (stored[bucket] !== digest) changed.add(bucket);
  for (const bucket of Object.keys(stored)) if (bucket !== RECONCILED && !digests.has(Number(bucket))) changed.add(Number(bucket));
  const buckets = [...changed];
  if (buckets.length === 0) return { created: 0, updated: 0, removed: 0, unchanged: 0 };
  const desired = new Map<string, Want>();
  for (const w of await scheduledWatchlistsIn(db, buckets)) addWanted(desired, w);
  const candidates = buckets.flatMap((b) =>
    Array.from({ length: SCHEDULE_BUCKET }, (_, i) => b * SCHEDULE_BUCKET + i).flatMap((id) => sourceIds().map((s) => schedulerId(id, s))),
  );
  const result = await apply(queue, desired, await readSchedulers(queue, candidates), () => true);
  await writeDigests(queue, new Map(buckets.map((b) => [b, digests.get(b) ?? null])), buckets);
  return result;
}

function addWanted(desired: Map<string, Want>, w: { id: number; sources: string[]; intervalSec: number }): void {
  for (const source of w.sources) {
    if (!getSource(source)) continue;
    desired.set(schedulerId(w.id, source), { watchlistId: w.id, source, every: w.intervalSec * 1000 });
  }
}

/** Upserts the desired schedulers that differ from what Redis holds and removes the existing ones not desired. */
async function apply(queue: CrawlQueue, desired: Map<string, Want>, existing: Map<string, Have>, removable: (id: string) => boolean): Promise<ReconcileResult> {
  const result: ReconcileResult = { created: 0, updated: 0, removed: 0, unchanged: 0 };
  const template = templateOf(queue);
  const upserts: { id: string; want: Want; update: boolean }[] = [];
  for (const [id, want] of desired) {
    const have = existing.get(id);
    if (have && have.every === String(want.every) && have.data === JSON.stringify(template.data(want))) result.unchanged++;
    else upserts.push({ id, want, update: Boolean(have) });
  }
  const removals = [...existing.keys()].filter((id) => removable(id) && !desired.has(id));

  await inFlight(upserts, async ({ id, want, update }) => {
    await queue.upsertJobScheduler(
      id,
      { every: want.every },
      { name: "crawl", data: template.data(want), opts: template.opts },
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

/** Kept beside the schedulers, so losing Redis's data loses both and the next reconcile is full. */
function digestKey(queue: CrawlQueue): string {
  return queue.toKey("schedule-digests");
}

/** The field that marks a reconciled deployment with no enabled watchlist. */
const RECONCILED = "none";

/** Stores bucket digests (null: the bucket is empty); `only` null replaces all of them. */
async function writeDigests(queue: CrawlQueue, digests: Map<number, string | null>, only: number[] | null): Promise<void> {
  const client = await queue.getBackend().client;
  const key = digestKey(queue);
  const multi = client.multi();
  if (only === null) multi.del(key);
  const set = Object.fromEntries([...digests].filter(([, d]) => d !== null).map(([b, d]) => [String(b), d!]));
  const gone = [...digests].filter(([, d]) => d === null).map(([b]) => String(b));
  // An empty deployment still marks itself reconciled, so the next change is not a full reconcile.
  if (only === null && Object.keys(set).length === 0) set[RECONCILED] = "";
  if (Object.keys(set).length) multi.hset(key, set);
  if (gone.length) multi.runCommand("hdel", [key, ...gone]);
  await multi.exec();
}

/**
 * The job a scheduler makes: its data, and the retry policy the queue was configured with. The
 * data names that policy, so a changed EARSHOT_CRAWL_ATTEMPTS or _BACKOFF reads as a changed
 * scheduler and the next full reconcile (at worker start) rewrites every one.
 */
function templateOf(queue: CrawlQueue) {
  const { attempts, backoff, removeOnComplete, removeOnFail } = queue.defaultJobOptions;
  const retry = `${attempts ?? 1}x${typeof backoff === "object" ? backoff.delay : (backoff ?? 0)}`;
  return {
    data: (want: { watchlistId: number; source: string }): CrawlJobData => ({ watchlistId: want.watchlistId, source: want.source, trigger: "schedule", retry }),
    opts: { attempts, backoff, removeOnComplete, removeOnFail },
  };
}

/**
 * Every scheduler's interval and job data as stored (`every`, and `data` as the JSON BullMQ
 * wrote), by id: the ids in one ZRANGE, then one HMGET each in a single pipeline, on the keys
 * BullMQ's own getJobSchedulers reads. getJobSchedulers itself awaits an HGETALL per scheduler
 * and parses each template, which took seconds for 20,000 schedulers.
 */
async function readSchedulers(queue: CrawlQueue, candidates?: string[]): Promise<Map<string, Have>> {
  const client = await queue.getBackend().client;
  const ids = candidates ? await existingOf(client, queue, candidates) : await client.zrange(queue.keys.repeat!, 0, -1);
  const pipeline = client.pipeline();
  for (const id of ids) pipeline.runCommand("hmget", [queue.toKey(`repeat:${id}`), "every", "data"]);
  const replies = (await pipeline.exec()) ?? [];
  const out = new Map<string, Have>();
  ids.forEach((id, i) => {
    const [err, fields] = replies[i] ?? [null, null];
    if (err) throw err;
    // A scheduler whose hash is gone reads as nulls: upserted again if wanted, removed if not.
    const [every, data] = (fields as (string | null)[] | null) ?? [null, null];
    out.set(id, { every: every ?? null, data: data ?? null });
  });
  return out;
}

/** Which of the candidate ids are schedulers: one ZSCORE each, in one pipeline. */
async function existingOf(client: IRedisClient, queue: CrawlQueue, candidates: string[]): Promise<string[]> {
  const pipeline = client.pipeline();
  for (const id of candidates) pipeline.runCommand("zscore", [queue.keys.repeat!, id]);
  const replies = (await pipeline.exec()) ?? [];
  return candidates.filter((_, i) => {
    const [err, score] = replies[i] ?? [null, null];
    if (err) throw err;
    return score !== null;
  });
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
