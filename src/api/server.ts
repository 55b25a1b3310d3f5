import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { createAlertStage } from "../alerts/outbox.ts";
import type { AlertStage } from "../alerts/stage.ts";
import type { Config } from "../config.ts";
import { migrateDatabase, openDatabase, type Database } from "../db/client.ts";
import { apiRoles, type ApiRole } from "../db/schema.ts";
import { UsageError } from "../errors.ts";
import { createLogger } from "../logger.ts";
import { crawlQueue, redisConnection } from "../queues.ts";
import type { ApiContext } from "./context.ts";
import { registerDashboard } from "./dashboard.ts";
import { ApiError, fromUsage } from "./errors.ts";
import { healthRoutes } from "./routes/health.ts";
import { registerRoutes } from "./routes/index.ts";
import { touchToken, verifyToken, type Principal } from "./tokens.ts";

/** Who may call a route: a list of roles, or "public" (health, metrics, docs, dashboard files). */
export type RouteRoles = readonly ApiRole[] | "public";

declare module "fastify" {
  interface FastifyContextConfig {
    roles?: RouteRoles;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** One registered route and the roles it allows (tests walk this list). */
export interface RouteInfo {
  method: string;
  url: string;
  roles: RouteRoles;
}

export interface ApiServerOptions {
  /** Requests per minute per token. @default 600 */
  rateLimitPerMinute?: number;
  /** Serve the dashboard pages. @default true */
  dashboard?: boolean;
  /** Mount Bull Board at /admin/queues for admins. @default true */
  bullBoard?: boolean;
}

export interface BuiltServer {
  app: FastifyInstance;
  routes: RouteInfo[];
}

const BULL_BOARD_PATH = "/admin/queues";
/** The dashboard sets this cookie for Bull Board, whose pages a browser opens without an Authorization header. */
export const TOKEN_COOKIE = "earshot_token";

function bearer(request: FastifyRequest): string | null {
  const h = request.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    return m ? m[1]! : null;
  }
  if (request.url.startsWith(BULL_BOARD_PATH)) {
    const cookie = request.headers.cookie ?? "";
    for (const part of cookie.split(";")) {
      const [k, ...v] = part.trim().split("=");
      if (k === TOKEN_COOKIE) return decodeURIComponent(v.join("="));
    }
  }
  return null;
}

/**
 * Builds the HTTP API, its OpenAPI document (/docs), the dashboard and Bull Board on one fastify
 * instance. Every route under /api must declare its roles, or building fails.
 */
export async function buildApiServer(ctx: ApiContext, options: ApiServerOptions = {}): Promise<BuiltServer> {
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    bodyLimit: 10 * 1024 * 1024,
    // Requests are not logged one by one: the audit log records changes, /metrics the rest.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  }) as unknown as FastifyInstance;
  const routes: RouteInfo[] = [];

  app.addHook("onRoute", (route) => {
    const url = route.url ?? route.path;
    let roles = route.config?.roles;
    if (url.startsWith(BULL_BOARD_PATH)) roles = ["admin"];
    if (roles === undefined) {
      if (url.startsWith("/api")) throw new Error(`route ${String(route.method)} ${url} declares no roles`);
      roles = "public";
    }
    route.config = { ...(route.config ?? {}), roles };
    for (const method of [route.method].flat()) {
      if (method !== "HEAD") routes.push({ method, url, roles });
    }
  });

  // Zod validates in the handlers, so that every message names the field and the problem the
  // project's way; the JSON schemas on routes only document them.
  app.setValidatorCompiler(() => (data) => ({ value: data }));

  app.decorateRequest("principal", null);
  app.addHook("onRequest", async (request, reply) => {
    const roles = request.routeOptions.config.roles ?? "public";
    if (roles === "public") return;
    const token = bearer(request);
    const principal = token ? await verifyToken(ctx.database.db, token) : null;
    // Answered here rather than thrown: plugins such as Bull Board have error handlers of their own.
    if (!principal) {
      reply.header("www-authenticate", 'Bearer realm="earshot"');
      const message = token ? "this token is unknown or revoked" : "log in: send Authorization: Bearer <token>";
      return reply.status(401).send({ error: "unauthorized", message });
    }
    if (!roles.includes(principal.role)) {
      return reply.status(403).send({ error: "forbidden", message: `a ${principal.role} token cannot do this (allowed: ${roles.join(", ")})` });
    }
    request.principal = principal;
    void touchToken(ctx.database.db, principal.tokenId).catch(() => {});
  });

  await app.register(rateLimit, {
    global: true,
    hook: "preHandler",
    max: options.rateLimitPerMinute ?? 600,
    timeWindow: 60_000,
    keyGenerator: (request) => `token:${request.principal?.tokenId ?? request.ip}`,
    allowList: (request) => request.principal === null,
    errorResponseBuilder: (_req, c) => ({
      statusCode: 429,
      error: "rate_limited",
      message: `this token made more than ${c.max} requests in a minute; retry in ${Math.ceil(c.ttl / 1000)}s`,
    }),
  });

  app.setErrorHandler((err, request, reply) => {
    if (err instanceof UsageError) err = fromUsage(err);
    // Postgres text cannot hold NUL (22021): the caller sent it, so it is their 400, not our 500.
    if (((err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code) === "22021") err = new ApiError(400, "a value holds a NUL character (\\u0000), which no field accepts");
    if (err instanceof ApiError) {
      return reply.status(err.statusCode).send({
        error: statusName(err.statusCode),
        message: err.message,
        ...(err.field ? { field: err.field } : {}),
        ...(err.details ? { details: err.details } : {}),
      });
    }
    const e = err as { statusCode?: number; message?: string };
    if (e.statusCode && e.statusCode < 500) {
      return reply.status(e.statusCode).send({ error: statusName(e.statusCode), message: e.message });
    }
    request.log.error({ err, url: request.url }, "request failed");
    return reply.status(500).send({ error: "internal", message: "the server failed to answer; see its log" });
  });
  // Postgres text cannot hold NUL: refuse it up front, before a query (or a streamed export) fails on it.
  app.addHook("onRequest", async (request) => { if (request.url.includes("%00")) throw new ApiError(400, "the query string holds a NUL character (%00), which no field accepts"); });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: "not_found", message: `no route ${request.method} ${request.url.split("?")[0]}` });
  });

  app.addContentTypeParser(["application/yaml", "application/x-yaml", "text/yaml"], { parseAs: "string" }, (_req, body, done) => done(null, body));
  app.addContentTypeParser("text/plain", { parseAs: "string" }, (_req, body, done) => done(null, body));

  await app.register(swagger, {
    openapi: {
      info: { title: "earshot API", version: "0.1.0", description: "Mentions, trends, alerts and watchlists of the earshot social-listening crawler." },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });

  await app.register(async (root) => healthRoutes(root, ctx));
  await app.register(async (api) => registerRoutes(api, ctx), { prefix: "/api" });

  if (options.dashboard ?? true) await registerDashboard(app);
  if (options.bullBoard ?? true) {
    const serverAdapter = new FastifyAdapter();
    createBullBoard({ queues: [new BullMQAdapter(ctx.queue, { readOnlyMode: false })], serverAdapter });
    serverAdapter.setBasePath(BULL_BOARD_PATH);
    await app.register(serverAdapter.registerPlugin(), { prefix: BULL_BOARD_PATH });
  }

  await app.ready();
  return { app, routes };
}

function statusName(code: number): string {
  return (
    { 400: "invalid", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict", 413: "too_large", 429: "rate_limited" }[code] ??
    (code >= 500 ? "internal" : "error")
  );
}

export interface RunningApi {
  url: string;
  app: FastifyInstance;
  database: Database;
  close(): Promise<void>;
}

/**
 * Opens its own connections (migrating first) and listens. Used by `earshot api`, by the worker's
 * --api flag and by `earshot demo --serve`.
 */
export async function startApiServer(
  config: Readonly<Config>,
  options: ApiServerOptions & { port?: number; host?: string; alertStage?: AlertStage; logger?: Logger } = {},
): Promise<RunningApi> {
  await migrateDatabase(config.databaseUrl);
  const database = openDatabase(config.databaseUrl, { max: config.dbPoolSize });
  const redis = redisConnection(config.redisUrl);
  const queueConnection = redisConnection(config.redisUrl);
  const queue = crawlQueue(config, queueConnection);
  const logger = options.logger ?? createLogger(config.logLevel);
  const ctx: ApiContext = { config, database, queue, redis, alertStage: options.alertStage ?? createAlertStage(), logger };
  const { app } = await buildApiServer(ctx, options);
  const address = await app.listen({ port: options.port ?? 8080, host: options.host ?? "127.0.0.1" });
  const url = address.replace("[::1]", "localhost").replace("127.0.0.1", "localhost");
  let closing: Promise<void> | null = null;
  return {
    url,
    app,
    database,
    close() {
      closing ??= (async () => {
        await app.close();
        await queue.close();
        queueConnection.disconnect();
        redis.disconnect();
        await database.close();
      })();
      return closing;
    },
  };
}

export { apiRoles };
