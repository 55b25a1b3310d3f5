import { pino } from "pino";
import { noAlerts, type AlertStage } from "../../src/alerts/stage.ts";
import { buildApiServer, type ApiServerOptions, type RouteInfo } from "../../src/api/server.ts";
import { createToken } from "../../src/api/tokens.ts";
import type { ApiRole } from "../../src/db/schema.ts";
import { crawlQueue, redisConnection, type CrawlQueue } from "../../src/queues.ts";
import { createTestEnv, type TestEnv } from "../helpers/env.ts";

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

export interface ApiTestEnv extends TestEnv {
  url: string;
  routes: RouteInfo[];
  queue: CrawlQueue;
  /** One live token per role. */
  tokens: Record<ApiRole, string>;
  call(method: string, path: string, options?: { token?: string | null; role?: ApiRole; body?: unknown; raw?: string; contentType?: string }): Promise<Answer>;
}

/** A test database, a queue prefix, the API listening on a free port, and a token of each role. */
export async function createApiTestEnv(options: ApiServerOptions & { alertStage?: AlertStage; env?: Record<string, string> } = {}): Promise<ApiTestEnv> {
  const env = await createTestEnv(options.env ?? {});
  const queueConnection = redisConnection(env.config.redisUrl);
  const queue = crawlQueue(env.config, queueConnection);
  const { app, routes } = await buildApiServer(
    { config: env.config, database: env.database, queue, redis: env.redis, alertStage: options.alertStage ?? noAlerts, logger: pino({ level: "silent" }) },
    { bullBoard: true, ...options },
  );
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  const tokens = {} as Record<ApiRole, string>;
  for (const role of ["admin", "analyst", "operator", "ingest"] as const) {
    tokens[role] = (await createToken(env.database.db, { name: `test-${role}`, role, createdBy: "test" })).token;
  }
  return {
    ...env,
    url: address,
    routes,
    queue,
    tokens,
    async call(method, path, o = {}) {
      const token = o.token !== undefined ? o.token : tokens[o.role ?? "admin"];
      const headers: Record<string, string> = {};
      if (token) headers.authorization = `Bearer ${token}`;
      let body: string | undefined;
      if (o.raw !== undefined) {
        body = o.raw;
        headers["content-type"] = o.contentType ?? "text/plain";
      } else if (o.body !== undefined) {
        body = JSON.stringify(o.body);
        headers["content-type"] = "application/json";
      }
      const res = await fetch(`${address}${path}`, { method, headers, body });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, text, json };
    },
    async teardown() {
      await app.close();
      await queue.close();
      queueConnection.disconnect();
      await env.teardown();
    },
  };
}

/** A concrete path for a route pattern: real names for named parameters, `id` for the others. */
export function concretePath(url: string, id = "1"): string {
  return url
    .replace(/:queueName/g, "crawl")
    .replace(/:queueStatus/g, "failed")
    .replace(/:schedulerId/g, "wl-1-appstore")
    .replace(/:name/g, "mentions-over-time")
    .replace(/:[A-Za-z]+/g, id)
    .replace(/\*$/, "x");
}
