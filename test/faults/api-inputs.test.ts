import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mentionFilterFields } from "../../src/api/search.ts";
import { apiRoles, type ApiRole } from "../../src/db/schema.ts";
import { seedMentions, seedWatchlist } from "../api/seed.ts";
import { concretePath, createApiTestEnv, type Answer, type ApiTestEnv } from "../api/support.ts";

/**
 * Hostile input on every read endpoint: SQL-injection strings in every filter and named-query
 * parameter, oversized values, unknown fields, and a token of each role on every route. The API
 * answers 400 with the field and a message, or a correct (empty) result; never a 5xx; and the
 * database is the same afterwards.
 */

let env: ApiTestEnv;
let seeded: number[];

const INJECTIONS = [
  "' OR '1'='1",
  "'; DROP TABLE mentions; --",
  "1) OR (1=1 UNION SELECT token_hash FROM api_tokens --",
  "1; SELECT pg_sleep(3)--",
  "%' AND 1=1 --",
  "\\'; DELETE FROM apps; $1::text",
  "a\u0000b",
];

/** Every filter endpoint with the fields it takes besides the shared mention filters. */
const FILTER_ENDPOINTS: Record<string, string[]> = {
  "/api/mentions": ["limit", "cursor"],
  "/api/mentions/export": ["format"],
  "/api/aggregates/volume": ["interval"],
  "/api/aggregates/categories": ["interval"],
  "/api/aggregates/sources": [],
  "/api/aggregates/terms": ["limit"],
  "/api/aggregates/ratings": [],
};
const FILTERS = Object.keys(mentionFilterFields);

beforeAll(async () => {
  // Thousands of requests from one token: the per-token limit is not what is tested here.
  env = await createApiTestEnv({ rateLimitPerMinute: 1_000_000, dashboard: false });
  const { watchlistId } = await seedWatchlist(env.database.sql, "喵记", ["appstore"], ["闪退"]);
  seeded = await seedMentions(env.database.sql, watchlistId, [
    { text: "一打开就闪退了", rating: 1, sentimentLabel: "negative", sentimentScore: -0.9, complaint: true, complaintCategory: "crash", language: "zh", keyword: "闪退" },
    { text: "Works great after the update", rating: 5, sentimentLabel: "positive", sentimentScore: 0.8, complaint: false, language: "en" },
  ]);
});
afterAll(async () => {
  await env?.teardown();
});

async function get(path: string, role: ApiRole = "analyst"): Promise<Answer> {
  return env.call("GET", path, { role });
}

/** 400 names the field and says what is wrong; anything else must be a success. */
function expectRefusedOrAnswered(res: Answer, what: string): void {
  expect(res.status, `${what}: ${res.text.slice(0, 200)}`).toBeLessThan(500);
  expect([200, 400], `${what}: ${res.text.slice(0, 200)}`).toContain(res.status);
  if (res.status === 400) expect(String(res.json?.message ?? ""), what).not.toBe("");
}

/** No seeded mention may come back for a value that matches none of them. */
function expectNoSeededRows(endpoint: string, res: Answer, what: string): void {
  if (res.status !== 200) return;
  if (endpoint === "/api/mentions") expect(res.json.items, what).toEqual([]);
  if (endpoint === "/api/mentions/export") expect(res.text.replace(/^\uFEFF/, "").trim().split(/\r?\n/).length, what).toBeLessThanOrEqual(1);
}

async function databaseFingerprint(): Promise<string> {
  const [row] = await env.database.sql`
    select (select count(*) from mentions)::int as mentions, (select count(*) from apps)::int as apps,
           (select count(*) from api_tokens where revoked_at is null)::int as tokens,
           (select count(*) from mention_matches)::int as matches,
           (select string_agg(text, '|' order by id) from mentions) as texts`;
  return JSON.stringify(row);
}

describe("hostile filter values", () => {
  // Injects: SQL-injection strings (quotes, comments, UNION, pg_sleep, NUL) into every filter of every filter endpoint. Asserts: 400 with a message or an empty result, never 5xx, the database unchanged.
  test("SQL-injection strings in every filter of search, export and aggregates are refused or match nothing", async () => {
    const before = await databaseFingerprint();
    for (const [endpoint, extra] of Object.entries(FILTER_ENDPOINTS)) {
      const cases = [...FILTERS, ...extra].flatMap((field) => INJECTIONS.map((value) => ({ field, value })));
      const answers = await Promise.all(cases.map(({ field, value }) => get(`${endpoint}?${field}=${encodeURIComponent(value)}`)));
      answers.forEach((res, i) => {
        const what = `${endpoint} ${cases[i]!.field}=${JSON.stringify(cases[i]!.value)}`;
        expectRefusedOrAnswered(res, what);
        expectNoSeededRows(endpoint, res, what);
      });
    }
    expect(await databaseFingerprint()).toBe(before);
    expect(await env.database.sql`select id from mentions order by id`).toHaveLength(seeded.length);
  });

  // Injects: the same strings into every parameter of every named query. Asserts: 400 naming the parameter or a correct result, never 5xx, the database unchanged.
  test("SQL-injection strings in every named-query parameter are refused or answered as plain values", async () => {
    const before = await databaseFingerprint();
    const list = await get("/api/queries");
    expect(list.status).toBe(200);
    expect(list.json.length).toBeGreaterThanOrEqual(5);
    for (const q of list.json as { name: string; params: Record<string, unknown> }[]) {
      for (const param of Object.keys(q.params)) {
        for (const value of INJECTIONS) {
          const res = await get(`/api/queries/${q.name}?${param}=${encodeURIComponent(value)}`);
          expectRefusedOrAnswered(res, `${q.name} ${param}=${JSON.stringify(value)}`);
          if (res.status === 200) expect(res.json.rows, `${q.name} ${param}`).toBeInstanceOf(Array);
        }
      }
      const injectedName = await get(`/api/queries/${encodeURIComponent(`${q.name}'; drop table mentions; --`)}`);
      expect(injectedName.status).toBe(404);
    }
    expect(await databaseFingerprint()).toBe(before);
  });

  // Injects: 10,000-character values in every filter, and a query string past Node's header limit. Asserts: 400/200 for the first, a 4xx for the second, never 5xx.
  test("oversized values are refused or answered, never a server error", async () => {
    // About 10 KB once percent-encoded: long, yet under Node's 16 KB header limit.
    const huge = "闪".repeat(1000) + "'".repeat(500);
    for (const [endpoint, extra] of Object.entries(FILTER_ENDPOINTS)) {
      for (const field of [...FILTERS, ...extra]) {
        const res = await get(`${endpoint}?${field}=${encodeURIComponent(huge)}`);
        expectRefusedOrAnswered(res, `${endpoint} ${field}=<${huge.length} chars>`);
        expectNoSeededRows(endpoint, res, `${endpoint} ${field}`);
      }
    }
    const q = await get(`/api/mentions?q=${encodeURIComponent(huge)}`);
    expect(q.status).toBe(400);
    expect(q.json).toMatchObject({ field: "q" });
    const past = await get(`/api/mentions?q=${"x".repeat(70_000)}`);
    expect(past.status).toBeGreaterThanOrEqual(400);
    expect(past.status).toBeLessThan(500);
    const many = await get(`/api/mentions?${Array.from({ length: 500 }, (_, i) => `source=s${i}`).join("&")}`);
    expectRefusedOrAnswered(many, "500 repeated source parameters");
  });

  // Injects: a field no endpoint knows. Asserts: 400 naming that field, on every filter endpoint.
  test("an unknown field is refused by name on every filter endpoint", async () => {
    for (const endpoint of Object.keys(FILTER_ENDPOINTS)) {
      const res = await get(`${endpoint}?colour=red`);
      expect(res.status, endpoint).toBe(400);
      expect(res.json.message, endpoint).toMatch(/colour/);
    }
  });
});

describe("hostile bodies", () => {
  // Injects: a NUL character inside a JSON body (Postgres text cannot store it). Asserts: 400 with a message, not a 5xx, and nothing stored.
  test("a NUL character in a JSON body is a 400, not a server error", async () => {
    const before = await databaseFingerprint();
    const res = await env.call("POST", "/api/apps", { body: { name: "nul\u0000app" } });
    expect(res.status, res.text).toBe(400);
    expect(res.json.message).toMatch(/NUL/);
    expect(await databaseFingerprint()).toBe(before);
  });
});

describe("every role on every route", () => {
  // Injects: a valid token of each of the four roles on every guarded route. Asserts: a role the route does not allow gets 403 on every method; an allowed role is let through every GET and never gets a 5xx.
  test("each role is refused exactly where the route does not allow it", async () => {
    const guarded = env.routes.filter((r) => r.roles !== "public");
    expect(guarded.length).toBeGreaterThan(40);
    let checked = 0;
    for (const r of guarded) {
      const allowed = r.roles as readonly string[];
      const path = concretePath(r.url, "999999");
      for (const role of apiRoles) {
        if (!allowed.includes(role)) {
          const res = await env.call(r.method, path, { role });
          expect(res.status, `${r.method} ${path} as ${role}`).toBe(403);
          checked++;
        } else if (r.method === "GET") {
          const res = await env.call("GET", path, { role });
          expect([401, 403], `${r.method} ${path} as ${role}`).not.toContain(res.status);
          expect(res.status, `${r.method} ${path} as ${role}: ${res.text.slice(0, 200)}`).toBeLessThan(500);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});
