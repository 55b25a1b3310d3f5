/** A real local HTTP server, real Redis, and a config with short delays for fetch-layer tests. */
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { loadConfig, type Config } from "../../src/config.ts";
import { createFetcher, type FetcherOptions } from "../../src/fetch/index.ts";
import type { Fetcher, FetchLogEntry } from "../../src/fetch/types.ts";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => unknown;

export interface Hit {
  method: string;
  path: string;
  /** The full request target, with the query. */
  target: string;
  /** performance.now() when the request arrived. */
  at: number;
  headers: http.IncomingHttpHeaders;
}

export interface TestServer {
  origin: string;
  port: number;
  /** Every request but /robots.txt. */
  hits: Hit[];
  robotsHits: number;
  route(path: string, handler: Handler): void;
  close(): Promise<void>;
}

/** Serves routes by path (without the query); /robots.txt is a 404 unless routed. */
export async function startServer(): Promise<TestServer> {
  const routes = new Map<string, Handler>();
  const hits: Hit[] = [];
  const state = { robotsHits: 0 };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (path === "/robots.txt") state.robotsHits++;
    else hits.push({ method: req.method ?? "GET", path, target: req.url ?? "/", at: performance.now(), headers: req.headers });
    const handler = routes.get(path);
    if (!handler) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    Promise.resolve(handler(req, res)).catch((err) => {
      res.destroy(err as Error);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    hits,
    get robotsHits() {
      return state.robotsHits;
    },
    route: (path, handler) => void routes.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A prefix of its own per test file, so files can run in parallel on one Redis. */
export function uniquePrefix(): string {
  return `tfetch${randomBytes(4).toString("hex")}`;
}

/** Config with delays short enough for tests; `env` overrides. */
export function testConfig(prefix: string, env: Record<string, string> = {}): Readonly<Config> {
  return loadConfig({
    REDIS_URL,
    EARSHOT_QUEUE_PREFIX: prefix,
    EARSHOT_HTTP_CONNECT_TIMEOUT: "1s",
    EARSHOT_HTTP_TIMEOUT: "1s",
    EARSHOT_HTTP_TOTAL_TIMEOUT: "5s",
    EARSHOT_HTTP_RETRIES: "2",
    EARSHOT_HTTP_BACKOFF: "10ms",
    EARSHOT_MAX_RETRY_WAIT: "3s",
    ...env,
  });
}

export interface FetcherHarness {
  fetcher: Fetcher;
  redis: Redis;
  config: Readonly<Config>;
  log: FetchLogEntry[];
  close(): Promise<void>;
}

/** A fetcher on its own Redis connection, fast politeness unless `options` says otherwise. */
export function makeFetcher(
  prefix: string,
  env: Record<string, string> = {},
  options: Partial<FetcherOptions> = {},
): FetcherHarness {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  const config = testConfig(prefix, env);
  const fetcher = createFetcher({
    redis,
    prefix,
    config,
    defaultPoliteness: { concurrency: 8, minDelayMs: 0 },
    ...options,
  });
  return {
    fetcher,
    redis,
    config,
    log: [],
    async close() {
      await fetcher.close();
      redis.disconnect();
    },
  };
}

export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/** The rejection of a promise that must reject. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

export const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
