/**
 * Scheduling bench: 10,000 enabled watchlists (two sources each: 20,000 job schedulers)
 * reconciled into BullMQ job schedulers by jobs/schedulers.ts, in a scratch database and queue
 * prefix. Measures the full reconcile from cold (no scheduler in Redis), with nothing changed and
 * after a single watchlist changed; the targeted reconcile an admin change runs
 * (reconcileChangedSchedulers) after one change and with nothing changed; and the Redis memory
 * the schedulers take.
 *
 *   npm run bench:schedule [-- --watchlists 10000]
 */
import { randomBytes } from "node:crypto";
import { reconcileChangedSchedulers, reconcileSchedulers } from "../jobs/schedulers.ts";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/client.ts";
import { updateWatchlist } from "../src/db/repo/watchlists.ts";
import { apps, watchlists } from "../src/db/schema.ts";
import { crawlQueue, redisConnection } from "../src/queues.ts";
import { deleteKeys } from "../test/helpers/env.ts";
import { report, scratchDatabase, timed, type Figure } from "./lib.ts";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const WATCHLISTS = arg("--watchlists", 10_000);
/** Pairs of sources, in turn: a store and a search source each. */
const SOURCE_PAIRS = [
  ["appstore", "weibo"],
  ["googleplay", "tieba"],
  ["taptap", "weibo"],
  ["appstore", "discourse"],
];

const figures: Figure[] = [];
const figure = (name: string, value: number, unit: string) => figures.push({ figure: name, value, unit });
const say = (line: string) => console.error(line);

const scratch = await scratchDatabase("schedule");
const prefix = `bench-schedule-${randomBytes(4).toString("hex")}`;
const config = loadConfig({ ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}), DATABASE_URL: scratch.url, EARSHOT_QUEUE_PREFIX: prefix, LOG_LEVEL: "silent" });
const database = openDatabase(config.databaseUrl);
const connection = redisConnection(config.redisUrl);
const queue = crawlQueue(config, connection);

/** used_memory from INFO memory: the whole server's, so other users of the Redis add noise. */
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await connection.info("memory"))![1]);

/** What the prefix's keys take, by MEMORY USAGE (exact for our keys, whoever else uses the server). */
async function prefixBytes(): Promise<{ keys: number; bytes: number }> {
  let cursor = "0";
  let keys = 0;
  let bytes = 0;
  do {
    const [next, batch] = await connection.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (batch.length === 0) continue;
    const pipeline = connection.pipeline();
    for (const k of batch) pipeline.memory("USAGE", k, "SAMPLES", "0");
    for (const [err, n] of (await pipeline.exec()) ?? []) if (!err) bytes += Number(n ?? 0);
    keys += batch.length;
  } while (cursor !== "0");
  return { keys, bytes };
}

try {
  say(`creating ${WATCHLISTS} watchlists…`);
  for (let start = 0; start < WATCHLISTS; start += 1000) {
    const n = Math.min(1000, WATCHLISTS - start);
    const rows = await database.db
      .insert(apps)
      .values(Array.from({ length: n }, (_, i) => ({ name: `app-${start + i}`, appstoreId: String(1_600_000_000 + start + i), playPackage: `com.bench.app${start + i}`, taptapId: String(400_000 + start + i) })))
      .returning({ id: apps.id });
    await database.db.insert(watchlists).values(
      rows.map((r, i) => ({
        appId: r.id,
        keywords: ["闪退", "卡顿"],
        sources: SOURCE_PAIRS[(start + i) % SOURCE_PAIRS.length]!,
        // 10 minutes to 2 hours, as admins pick them.
        intervalSec: [600, 900, 1800, 3600, 7200][(start + i) % 5]!,
        createdBy: "bench",
        updatedBy: "bench",
      })),
    );
  }
  const schedulers = WATCHLISTS * 2;

  const memBefore = await usedMemory();
  say(`reconciling ${schedulers} schedulers from cold…`);
  const cold = await timed(() => reconcileSchedulers(database.db, queue));
  const memAfter = await usedMemory();
  const held = await prefixBytes();
  if (cold.value.created !== schedulers) say(`warning: ${cold.value.created} schedulers created, ${schedulers} expected`);
  figure("schedule_watchlists", WATCHLISTS, "watchlists");
  figure("schedule_schedulers", (await queue.getJobSchedulersCount()), "schedulers");
  figure("schedule_cold_reconcile_ms", cold.ms, "ms");
  figure("schedule_cold_schedulers_per_s", schedulers / (cold.ms / 1000), "schedulers/s");

  const unchanged = await timed(() => reconcileSchedulers(database.db, queue));
  if (unchanged.value.unchanged !== schedulers) say(`warning: ${unchanged.value.unchanged} unchanged, ${schedulers} expected`);
  figure("schedule_unchanged_reconcile_ms", unchanged.ms, "ms");

  // One admin change: a watchlist's interval, as `earshot watch edit` or the API makes it.
  const [one] = await database.db.select({ id: watchlists.id }).from(watchlists).limit(1);
  await updateWatchlist(database.db, one!.id, { intervalSec: 1200 }, "bench");
  const changed = await timed(() => reconcileSchedulers(database.db, queue));
  if (changed.value.updated !== 2) say(`warning: ${changed.value.updated} schedulers updated after one change, 2 expected`);
  figure("schedule_one_change_reconcile_ms", changed.ms, "ms");

  // The same change as an admin makes it: only the changed watchlist's bucket is reconciled.
  await updateWatchlist(database.db, one!.id, { intervalSec: 2400 }, "bench");
  const targeted = await timed(() => reconcileChangedSchedulers(database.db, queue));
  if (targeted.value.updated !== 2) say(`warning: ${targeted.value.updated} schedulers updated by the targeted reconcile, 2 expected`);
  figure("schedule_reconcile_one_change_ms", targeted.ms, "ms");
  figure("schedule_reconcile_one_change_schedulers_compared", targeted.value.updated + targeted.value.unchanged + targeted.value.created + targeted.value.removed, "schedulers");
  const nothing = await timed(() => reconcileChangedSchedulers(database.db, queue));
  figure("schedule_reconcile_no_change_ms", nothing.ms, "ms");

  figure("schedule_redis_used_memory_delta_bytes", memAfter - memBefore, "bytes");
  figure("schedule_redis_prefix_keys", held.keys, "keys");
  figure("schedule_redis_prefix_bytes", held.bytes, "bytes");
  figure("schedule_redis_bytes_per_scheduler", held.bytes / schedulers, "bytes/scheduler");

  report(`scheduling bench: ${WATCHLISTS} watchlists, ${schedulers} job schedulers, scratch queue prefix`, figures);
  if (cold.value.created !== schedulers || unchanged.value.unchanged !== schedulers || changed.value.updated !== 2 || targeted.value.updated !== 2) process.exitCode = 1;
} finally {
  await queue.obliterate({ force: true }).catch(() => {});
  await deleteKeys(connection, `${prefix}:*`);
  await queue.close();
  connection.disconnect();
  await database.close();
  await scratch.drop();
}
