import { spawn, type ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { Redis } from "ioredis";
import postgres from "postgres";
import { redactUrl } from "../config.ts";

/**
 * The demo runs on whatever is at hand: the configured Postgres and Redis when they answer,
 * otherwise an embedded Postgres (PGlite over a local socket, so the same postgres.js code runs)
 * and a private redis-server from PATH.
 */

export interface Provided {
  url: string;
  /** Extra settings this provider needs (PGlite: one connection). */
  env?: Record<string, string>;
  /** How it was provided, for the demo's first lines. */
  description: string;
  stop(): Promise<void>;
}

export async function postgresAnswers(url: string): Promise<boolean> {
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const sql = postgres(admin.toString(), { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** The configured server with a database of the demo's own (so the demo never writes into yours). */
export async function providePostgres(configuredUrl: string, dataDir: string): Promise<Provided> {
  if (await postgresAnswers(configuredUrl)) {
    const url = new URL(configuredUrl);
    const name = url.pathname.replace(/^\//, "") || "earshot";
    url.pathname = `/${name}_demo`;
    return { url: url.toString(), description: `Postgres at ${redactUrl(url.toString())}`, stop: async () => {} };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const dir = join(dataDir, "pglite");
  await mkdir(dir, { recursive: true });
  const db = await PGlite.create(dir);
  const port = await freePort();
  // Without maxConnections the socket server takes one connection; postgres.js pools need more.
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port, maxConnections: 20 });
  await server.start();
  return {
    // One PGlite session serves every connection, and it interleaves the protocol messages of
    // concurrent connections: one connection, unnamed statements.
    url: `postgres://postgres@127.0.0.1:${port}/postgres?prepare=false`,
    env: { EARSHOT_DB_POOL_SIZE: "1" },
    description: `embedded Postgres (PGlite) in ${dir}, because nothing answered at ${redactUrl(configuredUrl)}`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

export async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
  redis.on("error", () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export async function provideRedis(configuredUrl: string, dataDir: string): Promise<Provided> {
  if (await redisAnswers(configuredUrl)) {
    return { url: configuredUrl, description: `Redis at ${redactUrl(configuredUrl)}`, stop: async () => {} };
  }
  const dir = join(dataDir, "redis");
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  let child: ChildProcess;
  try {
    child = await spawnRedis(port, dir);
  } catch {
    throw new Error(
      `No Redis answered at ${redactUrl(configuredUrl)} and no redis-server is on PATH. Either start Redis and set REDIS_URL, ` +
        "install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis), or run `docker compose up -d redis`.",
    );
  }
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && !(await redisAnswers(url)); i++) await new Promise((r) => setTimeout(r, 100));
  return {
    url,
    description: `a private redis-server on port ${port} (data in ${dir}), because nothing answered at ${redactUrl(configuredUrl)}`,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    },
  };
}

function spawnRedis(port: number, dir: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
    child.once("error", reject);
    child.once("spawn", () => resolve(child));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
