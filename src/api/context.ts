import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { AlertStage } from "../alerts/stage.ts";
import type { Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import type { CrawlQueue } from "../queues.ts";

/** What every route handler may use. One per server; the server does not own these connections. */
export interface ApiContext {
  config: Readonly<Config>;
  database: Database;
  /** The crawl queue: schedules are reconciled on it, its depths are reported, Bull Board shows it. */
  queue: CrawlQueue;
  /** A plain connection for health checks. */
  redis: Redis;
  /** The alert stage ingested mentions go through, as crawled ones do in the worker. */
  alertStage: AlertStage;
  logger: Logger;
}
