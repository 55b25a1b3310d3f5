import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import postgres from "postgres";
import { loadConfig, type Config } from "../../src/config.ts";
import { migrateDatabase, openDatabase, quoteIdent, type Database } from "../../src/db/client.ts";

const BASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export interface TestEnv {
  config: Readonly<Config>;
  /** The env a child process needs to use this test's database, Redis prefix and sandbox. */
  childEnv: NodeJS.ProcessEnv;
  database: Database;
  redis: Redis;
  /** Drops the database and every Redis key under the prefix. */
  teardown(): Promise<void>;
}

/**
 * A fresh database (migrated) and a private BullMQ prefix for one test file, so files run in
 * parallel against the same Postgres and Redis and leave nothing behind.
 */
export async function createTestEnv(extraEnv: Record<string, string> = {}): Promise<TestEnv> {
  const suffix = randomBytes(5).toString("hex");
  const dbName = `earshot_test_${suffix}`;
  const url = new URL(BASE_URL);
  url.pathname = `/${dbName}`;
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: url.toString(),
    REDIS_URL,
    EARSHOT_QUEUE_PREFIX: `t${suffix}`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? "silent",
    ...extraEnv,
  };
  const config = loadConfig(childEnv);
  await migrateDatabase(config.databaseUrl);
  const database = openDatabase(config.databaseUrl);
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  return {
    config,
    childEnv,
    database,
    redis,
    async teardown() {
      await deleteKeys(redis, `${config.queuePrefix}:*`);
      redis.disconnect();
      await database.close();
      await dropDatabase(dbName);
    },
  };
}

export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== "0");
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new URL(BASE_URL);
  admin.pathname = "/postgres";
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop database if exists ${quoteIdent(name)} with (force)`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
