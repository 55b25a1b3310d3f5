import type { Sql } from "../../src/db/client.ts";
import { pino } from "pino";
import type { CrawlDeps } from "../../jobs/crawl.ts";
import { noAlerts } from "../../src/alerts/stage.ts";
import { createFetcher } from "../../src/fetch/index.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { sources } from "../../src/sources/index.ts";
import { createTestEnv, type TestEnv } from "./env.ts";

/** Settings that keep failure tests fast: tiny backoff, one retry, no spacing on the local sandbox. */
export const fastFetchEnv = {
  EARSHOT_HTTP_RETRIES: "1",
  EARSHOT_HTTP_BACKOFF: "10ms",
  EARSHOT_MAX_RETRY_WAIT: "1s",
  EARSHOT_POLITENESS_APPSTORE: "4/0",
};

export interface CrawlTestEnv extends TestEnv {
  sandbox: Sandbox;
  deps: CrawlDeps;
}

/** A test database and prefix, a sandbox, and the crawl job's dependencies wired as the worker wires them. */
export async function createCrawlTestEnv(extraEnv: Record<string, string> = {}): Promise<CrawlTestEnv> {
  const sandbox = await startSandbox();
  const env = await createTestEnv({ EARSHOT_SANDBOX_URL: sandbox.url, ...fastFetchEnv, ...extraEnv });
  const fetcher = createFetcher({
    redis: env.redis,
    prefix: env.config.queuePrefix,
    config: env.config,
    politeness: Object.fromEntries([...sources.values()].map((s) => [s.id, s.politeness])),
  });
  const deps: CrawlDeps = {
    config: env.config,
    database: env.database,
    fetcher,
    alertStage: noAlerts,
    logger: pino({ level: "silent" }),
    blockBackoffMs: env.config.fetch.blockBackoffMs,
  };
  return {
    ...env,
    sandbox,
    deps,
    async teardown() {
      await fetcher.close();
      await sandbox.close();
      await env.teardown();
    },
  };
}

/** Ends every source's block backoff now, as if its hours had passed. */
export function endBlocks(sql: Sql) {
  return sql`update source_health set blocked_until = now() - interval '1 second'`;
}
