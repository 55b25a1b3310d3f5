import { userInfo } from "node:os";
import { reconcileChangedSchedulers } from "../../jobs/schedulers.ts";
import { loadConfig, type Config } from "../config.ts";
import { migrateDatabase, openDatabase, type Database } from "../db/client.ts";
import { errorMessage } from "../errors.ts";
import { crawlQueue, redisConnection } from "../queues.ts";

/** What every CLI command shares: the configuration, a database for the command, who is acting. */

let config: Readonly<Config> | null = null;

/** The configuration, parsed on first use so `--help` works with a bad environment. */
export function getConfig(): Readonly<Config> {
  config ??= loadConfig();
  return config;
}

/** Recorded as created_by / updated_by / acked_by for changes made from the command line. */
export function actor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli:unknown";
  }
}

/** Runs fn with a migrated database, closed afterwards. */
export async function withDatabase<T>(fn: (database: Database) => Promise<T>): Promise<T> {
  const cfg = getConfig();
  await migrateDatabase(cfg.databaseUrl);
  const database = openDatabase(cfg.databaseUrl, { max: 4 });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

/** Brings the job schedulers in line with Postgres right after a change; the worker does it at start too. */
export async function reconcileAfterChange(database: Database): Promise<void> {
  const connection = redisConnection(getConfig().redisUrl);
  const queue = crawlQueue(getConfig(), connection);
  try {
    const r = await reconcileChangedSchedulers(database.db, queue);
    if (r.created + r.updated + r.removed > 0) {
      console.error(`schedules: ${r.created} created, ${r.updated} updated, ${r.removed} removed`);
    }
  } catch (err) {
    console.error(`warning: schedules not updated now (${errorMessage(err)}); the worker updates them when it starts`);
  } finally {
    await queue.close().catch(() => {});
    connection.disconnect();
  }
}
