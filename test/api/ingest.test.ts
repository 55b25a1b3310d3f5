import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createAlertStage } from "../../src/alerts/outbox.ts";
import { createApiTestEnv, type ApiTestEnv } from "./support.ts";

let env: ApiTestEnv;
beforeAll(async () => {
  env = await createApiTestEnv({ dashboard: false, bullBoard: false, alertStage: createAlertStage() });
  await env.call("POST", "/api/apps", { body: { name: "喵记", aliases: ["MeowNote"] } });
});
afterAll(async () => {
  await env?.teardown();
});

const ingest = (body: unknown) => env.call("POST", "/api/ingest", { role: "ingest", body });

describe("ingest", () => {
  test("a batch goes through the pipeline: stored, scored, deduplicated, with per-item errors for the bad ones", async () => {
    const res = await ingest({
      app: "MeowNote",
      items: [
        { id: "f-1", text: "更新以后一打开就闪退了，根本用不了", rating: 1, author: "用户A", publishedAt: "2024-05-01T08:00:00Z", appVersion: "3.1.0" },
        { id: "f-2", text: "", rating: 5 },
        { id: "f-3", text: "界面很好看，用起来很顺手，推荐", rating: 9 },
        { id: "f-4", text: "更新以后一打开就闪退了，根本用不了！", rating: 1 },
        { text: "no id" },
        { id: "f-1", text: "again in the same batch" },
      ],
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ app: "喵记", source: "feedback", accepted: 2, inserted: 2, duplicates: 1 });
    expect(res.json.errors).toEqual([
      { index: 1, field: "items[1].text", message: "is empty" },
      { index: 2, field: "items[2].rating", message: "must be 1 to 5" },
      { index: 4, field: "items[4].id", message: expect.stringContaining("") },
      { index: 5, field: "items[5].id", message: '"f-1" appears twice in this batch' },
    ]);
    const [first, , , dup] = res.json.items;
    expect(first).toMatchObject({ index: 0, id: "f-1", status: "new" });
    expect(dup).toMatchObject({ index: 3, id: "f-4", status: "duplicate", duplicateOf: first.mentionId });
    expect(res.json.items[1]).toEqual({ index: 1, status: "invalid" });

    const stored = await env.call("GET", `/api/mentions/${first.mentionId}`, { role: "analyst" });
    expect(stored.json).toMatchObject({ source: "feedback", apps: ["喵记"], rating: 1, appVersion: "3.1.0", author: "用户A" });
    const search = await env.call("GET", `/api/mentions?q=${encodeURIComponent("闪退")}&source=feedback`, { role: "analyst" });
    expect(search.json.items.map((m: { id: number }) => m.id)).toEqual([first.mentionId]);
  });

  test("sending the same items again stores nothing twice", async () => {
    const body = { app: "喵记", source: "zendesk", items: [{ id: "t-9", text: "客服一直不回复，退款也没有处理" }] };
    const first = await ingest(body);
    expect(first.json.items[0].status).toBe("new");
    const again = await ingest(body);
    expect(again.json).toMatchObject({ inserted: 0, items: [{ index: 0, id: "t-9", status: "exists" }] });
    const rows = await env.database.sql`select 1 from mentions where source = 'zendesk' and external_id = 't-9'`;
    expect(rows).toHaveLength(1);
  });

  test("ingested mentions meet the alert rules of their app as crawled ones do", async () => {
    const feedback = await ingest({ app: "喵记", source: "appbot", items: [{ id: "seed", text: "第一条反馈，随便说说" }] });
    const watchlistId = feedback.json.watchlistId;
    await env.database.sql`
      insert into alert_rules (watchlist_id, kind, severity, params, created_by)
      values (${watchlistId}, 'low_rating', 'warning', ${JSON.stringify({ maxRating: 2 })}::jsonb, 'test')`;
    const res = await ingest({ app: "喵记", source: "appbot", items: [{ id: "bad-1", text: "垃圾应用，天天崩溃，差评", rating: 1 }] });
    expect(res.json.alerts).toBe(1);
    const alerts = await env.database.sql`select kind, mention_id from alerts where watchlist_id = ${watchlistId}`;
    expect(alerts).toHaveLength(1);
  });

  test("a batch is refused whole when the app is unknown, the source is a crawler's, or it is too large", async () => {
    expect((await ingest({ app: "nope", items: [{ id: "1", text: "x" }] })).json).toMatchObject({ field: "app" });
    expect((await ingest({ app: "喵记", source: "appstore", items: [{ id: "1", text: "x" }] })).json).toMatchObject({ field: "source" });
    expect((await ingest({ app: "喵记", source: "Bad Name", items: [{ id: "1", text: "x" }] })).json).toMatchObject({ field: "source" });
    const big = await ingest({ app: "喵记", items: Array.from({ length: 1001 }, (_, i) => ({ id: String(i), text: "x" })) });
    expect(big.status).toBe(400);
    expect(big.json.message).toMatch(/^items: at most 1000 items per batch/);
  });

  test("only ingest tokens may ingest", async () => {
    const res = await env.call("POST", "/api/ingest", { role: "admin", body: { app: "喵记", items: [{ id: "1", text: "x" }] } });
    expect(res.status).toBe(403);
  });
});
