import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { apiRoles } from "../../src/db/schema.ts";
import { concretePath, createApiTestEnv, type ApiTestEnv } from "./support.ts";

let env: ApiTestEnv;
beforeAll(async () => {
  env = await createApiTestEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const PUBLIC = [/^\/healthz$/, /^\/metrics$/, /^\/docs(\/|$)/, /^\/\*$/, /^\/vendor\/echarts\//];

describe("roles", () => {
  test("every API and Bull Board route declares the roles it allows, and leaves at least one role out", () => {
    const guarded = env.routes.filter((r) => r.url.startsWith("/api") || r.url.startsWith("/admin"));
    expect(guarded.length).toBeGreaterThan(40);
    for (const r of guarded) {
      expect(r.roles, `${r.method} ${r.url}`).not.toBe("public");
      expect((r.roles as string[]).length, `${r.method} ${r.url}`).toBeGreaterThan(0);
      expect((r.roles as string[]).length, `${r.method} ${r.url}`).toBeLessThan(apiRoles.length);
    }
  });

  test("only health, metrics, the OpenAPI docs and the dashboard's files are public", () => {
    for (const r of env.routes.filter((x) => x.roles === "public")) {
      expect(PUBLIC.some((p) => p.test(r.url)), `${r.method} ${r.url} is public`).toBe(true);
    }
  });

  test("every guarded route answers 401 without a token and 403 to a role it does not allow", async () => {
    const guarded = env.routes.filter((r) => r.roles !== "public");
    for (const r of guarded) {
      const path = concretePath(r.url);
      const anonymous = await env.call(r.method, path, { token: null });
      expect(anonymous.status, `${r.method} ${path} without a token`).toBe(401);
      expect(anonymous.json?.error).toBe("unauthorized");
      const wrong = apiRoles.find((role) => !(r.roles as readonly string[]).includes(role))!;
      const forbidden = await env.call(r.method, path, { role: wrong });
      expect(forbidden.status, `${r.method} ${path} as ${wrong}`).toBe(403);
      expect(forbidden.json?.message).toContain(wrong);
    }
  });

  test("an allowed role gets past the checks on every route", async () => {
    for (const r of env.routes.filter((x) => x.roles !== "public" && x.method === "GET" && !x.url.includes(":"))) {
      const role = (r.roles as readonly (typeof apiRoles)[number][])[0]!;
      const res = await env.call("GET", concretePath(r.url), { role });
      expect([401, 403], `${r.method} ${r.url} as ${role}`).not.toContain(res.status);
    }
  });
});

describe("tokens", () => {
  test("an unknown token and a malformed header are refused", async () => {
    expect((await env.call("GET", "/api/me", { token: "es_ad_not-a-real-token" })).status).toBe(401);
    const res = await fetch(`${env.url}/api/me`, { headers: { authorization: "Basic abc" } });
    expect(res.status).toBe(401);
  });

  test("a token created through the API works, is listed without its secret, and stops working once revoked", async () => {
    const created = await env.call("POST", "/api/tokens", { body: { name: "support bot", role: "ingest" } });
    expect(created.status).toBe(201);
    expect(created.json.token).toMatch(/^es_in_/);
    const list = await env.call("GET", "/api/tokens");
    const listed = list.json.find((t: { id: number }) => t.id === created.json.id);
    expect(listed).toMatchObject({ name: "support bot", role: "ingest" });
    expect(JSON.stringify(list.json)).not.toContain(created.json.token);
    expect(JSON.stringify(list.json)).not.toContain("tokenHash");

    const analyst = await env.call("POST", "/api/tokens", { body: { name: "ana", role: "analyst" } });
    expect((await env.call("GET", "/api/me", { token: analyst.json.token })).json).toMatchObject({ name: "ana", role: "analyst" });
    expect((await env.call("DELETE", `/api/tokens/${analyst.json.id}`)).status).toBe(200);
    expect((await env.call("GET", "/api/me", { token: analyst.json.token })).status).toBe(401);
  });

  test("token creation names the field at fault", async () => {
    const res = await env.call("POST", "/api/tokens", { body: { name: "x", role: "root" } });
    expect(res.status).toBe(400);
    expect(res.json.field).toBe("role");
    expect(res.json.message).toMatch(/^role: must be one of admin, analyst, operator, ingest/);
  });

  test("tokens are stored hashed: the database never holds one in clear", async () => {
    const rows = await env.database.sql<{ token_hash: string; prefix: string }[]>`select token_hash, prefix from api_tokens`;
    for (const t of Object.values(env.tokens)) {
      expect(rows.some((r) => r.token_hash === t)).toBe(false);
      expect(rows.some((r) => t.startsWith(r.prefix))).toBe(true);
    }
  });

  test("Bull Board opens for an admin's token cookie and not for an analyst's", async () => {
    const asAdmin = await fetch(`${env.url}/admin/queues`, { headers: { cookie: `earshot_token=${env.tokens.admin}` } });
    expect(asAdmin.status).toBe(200);
    expect(await asAdmin.text()).toContain("<");
    const asAnalyst = await fetch(`${env.url}/admin/queues`, { headers: { cookie: `earshot_token=${env.tokens.analyst}` } });
    expect(asAnalyst.status).toBe(403);
  });
});

describe("rate limit", () => {
  test("a token over its per-minute limit gets 429 while another token still gets through", async () => {
    const limited = await createApiTestEnv({ rateLimitPerMinute: 3, dashboard: false, bullBoard: false });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await limited.call("GET", "/api/me", { role: "analyst" })).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const over = await limited.call("GET", "/api/me", { role: "analyst" });
      expect(over.json.message).toMatch(/more than 3 requests in a minute/);
      expect((await limited.call("GET", "/api/me", { role: "operator" })).status).toBe(200);
    } finally {
      await limited.teardown();
    }
  });
});

describe("health", () => {
  test("/healthz reports Postgres, Redis and the queue's depths without a token", async () => {
    const res = await env.call("GET", "/healthz", { token: null });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: "ok", postgres: { ok: true }, redis: { ok: true }, queue: { counts: { waiting: 0 } } });
  });

  test("/metrics speaks the Prometheus text format and counts crawl runs by source", async () => {
    await env.database.sql`insert into apps (name) values ('m-app')`;
    await env.database.sql`insert into watchlists (app_id, keywords, sources, interval_sec, created_by, updated_by)
                           select id, '{}', '{appstore}', 900, 't', 't' from apps where name = 'm-app'`;
    await env.database.sql`insert into crawl_runs (watchlist_id, source, status, items_seen, items_new) select id, 'appstore', 'ok', 10, 4 from watchlists`;
    await env.database.sql`insert into crawl_runs (watchlist_id, source, status) select id, 'appstore', 'blocked' from watchlists`;
    const res = await env.call("GET", "/metrics", { token: null });
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(res.text).toContain('earshot_crawl_runs_total{source="appstore",status="ok"} 1');
    expect(res.text).toContain('earshot_crawl_items_total{source="appstore",kind="new"} 4');
    expect(res.text).toContain('earshot_crawl_errors_total{source="appstore"} 1');
    expect(res.text).toMatch(/earshot_queue_jobs\{queue="crawl",state="waiting"\} 0/);
    expect(res.text).toMatch(/earshot_queue_latency_seconds\{queue="crawl",quantile="0.95"\}/);
  });

  test("the OpenAPI document is served at /docs and lists the API's routes", async () => {
    const res = await env.call("GET", "/docs/json", { token: null });
    expect(res.status).toBe(200);
    expect(Object.keys(res.json.paths)).toEqual(expect.arrayContaining(["/api/mentions", "/api/watchlists", "/api/ingest", "/api/queries/{name}"]));
  });
});
