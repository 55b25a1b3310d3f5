/**
 * Alert delivery bench: latency from a mention's commit to its webhook's receipt (p50, p95 over
 * 1,000 alerts committed at a steady rate, as crawls commit them), and delivery throughput
 * (1,000 alerts committed while the notify worker is paused, then resumed: resume to last receipt). A scratch database and queue
 * prefix, a local webhook receiver, the real outbox, listener and notify worker in this process.
 * Prints one JSON line per figure, then a readable table.
 *
 *   npm run bench:alerts [-- --alerts 1000]
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { createAlertStage } from "../src/alerts/outbox.ts";
import { addChannel, addRule } from "../src/alerts/repo.ts";
import { startAlerting } from "../src/alerts/runtime.ts";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/client.ts";
import { createWatchlist, upsertApp } from "../src/db/repo/watchlists.ts";
import { processPage } from "../src/pipeline/index.ts";
import { redisConnection } from "../src/queues.ts";
import { report, scratchDatabase, type Figure } from "./lib.ts";

const args = process.argv.slice(2);
const N = args.includes("--alerts") ? Number(args[args.indexOf("--alerts") + 1]) : 1000;
const PAGE = 10; // a crawl commits a page of mentions at a time
const STEADY_PAGES_PER_S = 10; // 100 alerts/s offered in the latency phase, far above real crawls

const scratch = await scratchDatabase("alerts");
const prefix = `bench-alerts-${randomBytes(4).toString("hex")}`;
const config = loadConfig({ ...process.env, DATABASE_URL: scratch.url, EARSHOT_QUEUE_PREFIX: prefix, LOG_LEVEL: "silent" });
const database = openDatabase(config.databaseUrl, { max: config.dbPoolSize });
const logger = pino({ level: "silent" });

// The receiver notes when each alert (by its text marker) arrived.
const received = new Map<string, number>();
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const at = performance.now();
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { alerts: { mention?: { excerpt: string } }[] };
    for (const a of body.alerts) {
      const marker = /bench-\d+-\d+/.exec(a.mention?.excerpt ?? "")?.[0];
      if (marker && !received.has(marker)) received.set(marker, at);
    }
    res.writeHead(200).end("ok");
  });
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

const app = await upsertApp(database.db, { name: "BenchApp" });
const watchlist = await createWatchlist(database.db, { appId: app.id, keywords: [], sources: ["appstore"], intervalSec: 900, enabled: false, by: "bench" });
const channel = await addChannel(database.sql, { name: "bench", kind: "webhook", target: url, secret: "bench-secret", allowPrivateTargets: true, allowInsecure: true, by: "bench" });
await addRule(database.sql, { kind: "low_rating", watchlistId: watchlist.id, channelIds: [channel.id], by: "bench" });
const alertConfig = config.alerts;
const alerting = await startAlerting(config, { database, logger, alertConfig, checks: false });
const stage = createAlertStage();
// Texts never count as reposts of each other here: every mention must alert.
const deps = { sql: database.sql, alertStage: stage, dedupMinChars: 1_000_000 };

const committed = new Map<string, number>();
async function commitPage(phase: number, first: number): Promise<void> {
  const items = Array.from({ length: PAGE }, (_, i) => {
    const marker = `bench-${phase}-${first + i}`;
    return {
      raw: { externalId: marker, url: null, author: `u${first + i}`, title: null, text: `${marker} 一星，更新后一直闪退，登录不了`, publishedAt: new Date(), rating: 1 },
      keywords: [""],
    };
  });
  await processPage(deps, { source: "appstore", watchlistId: watchlist.id, items });
  const at = performance.now();
  for (const it of items) committed.set(it.raw.externalId, at);
}

async function waitForAll(markers: string[], timeoutMs = 300_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (markers.some((m) => !received.has(m))) {
    if (Date.now() > end) throw new Error(`only ${markers.filter((m) => received.has(m)).length} of ${markers.length} alerts arrived`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const figures: Figure[] = [];
try {
  // Warm up the pools and the model (not measured).
  await commitPage(0, 0);
  await waitForAll([...committed.keys()]);

  // Latency: pages committed at a steady rate, each alert timed from its commit to its receipt.
  const steady: string[] = [];
  const pages = Math.ceil(N / PAGE);
  const t0 = performance.now();
  for (let p = 0; p < pages; p++) {
    const due = t0 + (p * 1000) / STEADY_PAGES_PER_S;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await commitPage(1, p * PAGE);
    for (let i = 0; i < PAGE; i++) steady.push(`bench-1-${p * PAGE + i}`);
  }
  await waitForAll(steady);
  const latencies = steady.map((m) => received.get(m)! - committed.get(m)!).sort((a, b) => a - b);
  figures.push({ figure: "alert_latency_p50_ms", value: pct(latencies, 50), unit: "ms" });
  figures.push({ figure: "alert_latency_p95_ms", value: pct(latencies, 95), unit: "ms" });
  figures.push({ figure: "alert_latency_max_ms", value: latencies.at(-1)!, unit: "ms" });

  // Throughput: a backlog of alerts (committed and enqueued while the worker is paused), then
  // delivered as fast as the worker can: resume to last receipt. Commit speed is its own figure.
  await alerting.worker.pause();
  const burst: string[] = [];
  const start = performance.now();
  for (let p = 0; p < pages; p++) {
    await commitPage(2, p * PAGE);
    for (let i = 0; i < PAGE; i++) burst.push(`bench-2-${p * PAGE + i}`);
  }
  figures.push({ figure: "alert_commit_per_s", value: burst.length / ((performance.now() - start) / 1000), unit: "alerts/s" });
  const waiting = async () => (await alerting.queue.getJobCounts("wait")).wait ?? 0;
  for (let i = 0; i < 200 && (await waiting()) < burst.length; i++) await new Promise((r) => setTimeout(r, 50));
  const resumed = performance.now();
  alerting.worker.resume();
  await waitForAll(burst);
  const lastReceipt = Math.max(...burst.map((m) => received.get(m)!));
  figures.push({ figure: "alert_delivery_per_s", value: burst.length / ((lastReceipt - resumed) / 1000), unit: "alerts/s" });
  const dupes = await database.sql<{ n: number }[]>`select count(*)::int as n from delivery_log l join deliveries d on d.id = l.delivery_id where d.state = 'delivered' group by d.id having count(*) > 1`;
  figures.push({ figure: "alert_duplicate_deliveries", value: dupes.length, unit: "deliveries" });
  for (const f of figures) f.value = Math.round(f.value * 10) / 10;
  report(`Alert delivery: ${N} alerts, webhook receiver on this machine, notify concurrency ${alertConfig.concurrency}`, figures);
} finally {
  await alerting.close();
  server.close();
  await database.close();
  const redis = redisConnection(config.redisUrl);
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== "0");
  redis.disconnect();
  await scratch.drop();
}
process.exit(0);
