import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Politeness } from "../../src/fetch/politeness.ts";
import { delay, deleteKeys, makeFetcher, REDIS_URL, startServer, uniquePrefix, type TestServer } from "./support.ts";

const prefix = uniquePrefix();
let server: TestServer;
let inFlight = 0;
let maxInFlight = 0;

beforeAll(async () => {
  server = await startServer();
  server.route("/warm", (_req, res) => res.writeHead(200).end("warm"));
  for (const [path, ms] of [["/page", 30], ["/slow", 200]] as const) {
    server.route(path, async (_req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await delay(ms);
      inFlight--;
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  }
});
afterAll(async () => {
  await server.close();
  await deleteKeys(prefix);
});

function resetCounters() {
  server.hits.length = 0;
  inFlight = 0;
  maxInFlight = 0;
}

/**
 * Spacing is enforced when a request takes its slot, just before it is sent; on a loaded
 * machine (the server, Redis and the workers share two cores) the server may see one gap a
 * little shorter and the next one longer. So: every gap at least minDelay less `jitterMs`,
 * and on average at least minDelay. Without shared politeness, gaps would be near 0.
 */
function expectSpacing(gaps: number[], minDelayMs: number, jitterMs = minDelayMs / 4) {
  expect(gaps.length).toBeGreaterThan(0);
  for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(minDelayMs - jitterMs);
  expect(gaps.reduce((a, b) => a + b, 0) / gaps.length).toBeGreaterThanOrEqual(minDelayMs);
}

/** Gaps between consecutive request starts, as the server saw them. */
function startGaps(): number[] {
  const at = server.hits.filter((x) => x.path !== "/warm").map((x) => x.at).sort((a, b) => a - b);
  return at.slice(1).map((t, i) => t - at[i]!);
}

const paced = { paced: { concurrency: 1, minDelayMs: 200 } };

it("spaces requests from two fetchers (separate Redis connections) at least minDelay apart, one at a time", async () => {
  resetCounters();
  const a = makeFetcher(prefix, {}, { politeness: paced });
  const b = makeFetcher(prefix, {}, { politeness: paced });
  try {
    const url = `${server.origin}/page`;
    await Promise.all([
      ...Array.from({ length: 4 }, () => a.fetcher.fetch({ url, source: "paced" })),
      ...Array.from({ length: 4 }, () => b.fetcher.fetch({ url, source: "paced" })),
    ]);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
  expect(server.hits).toHaveLength(8);
  expect(maxInFlight).toBe(1);
  expectSpacing(startGaps(), 200);
});

it("lets `concurrency` requests run at once on a host, and no more", async () => {
  resetCounters();
  const a = makeFetcher(prefix, {}, { politeness: { wide: { concurrency: 2, minDelayMs: 0 } } });
  const b = makeFetcher(prefix, {}, { politeness: { wide: { concurrency: 2, minDelayMs: 0 } } });
  try {
    const url = `${server.origin}/slow`;
    await Promise.all(
      [a, b].flatMap((f) => Array.from({ length: 3 }, () => f.fetcher.fetch({ url, source: "wide" }))),
    );
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
  expect(server.hits).toHaveLength(6);
  expect(maxInFlight).toBe(2);
});

it("EARSHOT_POLITENESS_<SOURCE> wins over the source's default", async () => {
  resetCounters();
  const a = makeFetcher(prefix, { EARSHOT_POLITENESS_PACED: "1/300" }, { politeness: paced });
  try {
    const url = `${server.origin}/page`;
    await Promise.all(Array.from({ length: 3 }, () => a.fetcher.fetch({ url, source: "paced" })));
  } finally {
    await a.close();
  }
  expectSpacing(startGaps(), 300);
});

it("shares politeness between two worker processes", async () => {
  resetCounters();
  const script = fileURLToPath(new URL("./politeness-worker.ts", import.meta.url));
  const start = (worker: number) => {
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      env: {
        ...process.env,
        WARMUP_URL: `http://localhost:${server.port}/warm`,
        TARGET_URL: `${server.origin}/page?worker=${worker}`,
        COUNT: "5",
        EARSHOT_QUEUE_PREFIX: prefix,
        REDIS_URL,
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d) => {
        out += d;
        if (out.includes("ready")) resolve();
      });
      child.on("exit", () => reject(new Error(`worker exited early: ${out}`)));
    });
    child.stderr.on("data", (d) => (out += d));
    const done = new Promise<string>((resolve, reject) => {
      child.on("error", reject);
      child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`worker exited ${code}: ${out}`))));
    });
    return { child, ready, done };
  };
  const workers = [start(1), start(2)];
  await Promise.all(workers.map((w) => w.ready));
  for (const w of workers) w.child.stdin.end("go\n");
  const outputs = await Promise.all(workers.map((w) => w.done));
  const started = outputs.map((o) => {
    const lines = o.trim().split("\n");
    expect(lines[0]).toBe("ready");
    expect(lines[1]).toMatch(/^started \d+$/);
    expect(lines[2]).toBe("done");
    return Number(lines[1]!.slice("started ".length));
  });
  expect(server.hits.filter((x) => x.path === "/page")).toHaveLength(10);
  // The two processes really competed: each was already asking for a slot before the other's
  // last request went out. (Which one wins each slot is up to Redis, so no interleaving is assumed.)
  const lastHit = (w: number) =>
    performance.timeOrigin + Math.max(...server.hits.filter((x) => x.target.endsWith(`worker=${w}`)).map((x) => x.at));
  expect(started[0]).toBeLessThan(lastHit(2));
  expect(started[1]).toBeLessThan(lastHit(1));
  expect(maxInFlight).toBe(1);
  // Three busy processes: allow a little more scheduling noise than in one process.
  expectSpacing(startGaps(), 200, 70);
});

it("frees the slot of a process that died holding it once its lease expires", async () => {
  const redis = new Redis(REDIS_URL);
  try {
    const politeness = new Politeness(redis, prefix, 300);
    const limits = { concurrency: 1, minDelayMs: 0 };
    await politeness.acquire("dead.example", limits); // never released, as if the process died
    const started = performance.now();
    const slot = await politeness.acquire("dead.example", limits);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    await slot.release();
  } finally {
    redis.disconnect();
  }
});

it("holds every worker back when a site asks for a wait", async () => {
  const redis = new Redis(REDIS_URL);
  try {
    const politeness = new Politeness(redis, prefix, 5000);
    await politeness.defer("busy.example", 300);
    const started = performance.now();
    const slot = await politeness.acquire("busy.example", { concurrency: 4, minDelayMs: 0 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    await slot.release();
  } finally {
    redis.disconnect();
  }
});
