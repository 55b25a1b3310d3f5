/**
 * A separate worker process for the politeness test: fetches WARMUP_URL once (another host, so
 * a cold process does not skew the measured spacing), prints "ready" and waits for a line on
 * stdin (so two workers start together), prints "started <epoch ms>", then fetches TARGET_URL
 * COUNT times at once with its own fetcher and Redis connection, then prints "done". Run with
 * `node --import tsx`.
 */
import { Redis } from "ioredis";
import { loadConfig } from "../../src/config.ts";
import { createFetcher } from "../../src/fetch/index.ts";

const { WARMUP_URL, TARGET_URL, COUNT, EARSHOT_QUEUE_PREFIX, REDIS_URL } = process.env;
const redis = new Redis(REDIS_URL ?? "redis://127.0.0.1:6379");
const config = loadConfig({ REDIS_URL: REDIS_URL ?? "redis://127.0.0.1:6379", EARSHOT_QUEUE_PREFIX: EARSHOT_QUEUE_PREFIX ?? "" });
const fetcher = createFetcher({
  redis,
  prefix: config.queuePrefix,
  config,
  politeness: { paced: { concurrency: 1, minDelayMs: 200 } },
});
try {
  if (WARMUP_URL) await fetcher.fetch({ url: WARMUP_URL, source: "paced" });
  process.stdout.write("ready\n");
  await new Promise((resolve) => process.stdin.once("data", resolve));
  process.stdin.pause();
  process.stdout.write(`started ${Date.now()}\n`);
  await Promise.all(Array.from({ length: Number(COUNT) }, () => fetcher.fetch({ url: TARGET_URL!, source: "paced" })));
  process.stdout.write("done\n");
} finally {
  await fetcher.close();
  redis.disconnect();
}
