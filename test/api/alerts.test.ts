import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createAlertStage } from "../../src/alerts/outbox.ts";
import { createApiTestEnv, type ApiTestEnv } from "./support.ts";

let env: ApiTestEnv;
let watchlistId: number;
beforeAll(async () => {
  env = await createApiTestEnv({ dashboard: false, bullBoard: false, alertStage: createAlertStage() });
  await env.call("POST", "/api/apps", { body: { name: "喵记" } });
  const first = await env.call("POST", "/api/ingest", { role: "ingest", body: { app: "喵记", items: [{ id: "0", text: "第一条，没什么" }] } });
  watchlistId = first.json.watchlistId;
});
afterAll(async () => {
  await env?.teardown();
});

describe("rules and channels", () => {
  test("admins create, change, disable and delete rules and channels; bad input names the field", async () => {
    const channel = await env.call("POST", "/api/channels", { body: { name: "ops console", kind: "console" } });
    expect(channel.status, channel.text).toBe(201);
    const badChannel = await env.call("POST", "/api/channels", { body: { name: "x", kind: "pager" } });
    expect(badChannel.json).toMatchObject({ field: "kind" });
    const privateHook = await env.call("POST", "/api/channels", { body: { name: "hook", kind: "webhook", target: "http://127.0.0.1:9/x" } });
    expect(privateHook.status).toBe(400);
    expect(privateHook.json.field).toBe("url");

    const rule = await env.call("POST", "/api/rules", { body: { kind: "low-rating", watchlistId, params: { maxRating: 2 }, channelIds: [channel.json.id] } });
    expect(rule.status, rule.text).toBe(201);
    expect(rule.json).toMatchObject({ kind: "low_rating", severity: "warning", params: { maxRating: 2 } });
    const badRule = await env.call("POST", "/api/rules", { body: { kind: "low_rating", watchlistId, params: { maxRating: 9 } } });
    expect(badRule.status).toBe(400);
    expect(badRule.json.message).toMatch(/maxRating/);
    const patched = await env.call("PATCH", `/api/rules/${rule.json.id}`, { body: { severity: "critical" } });
    expect(patched.json.severity).toBe("critical");
    const merged = await env.call("PATCH", `/api/rules/${rule.json.id}`, { body: { params: { maxRating: 3 }, cooldownSec: 600 } });
    expect(merged.json).toMatchObject({ severity: "critical", params: { maxRating: 3 }, cooldownSec: 600 });
    const wrongParam = await env.call("PATCH", `/api/rules/${rule.json.id}`, { body: { params: { words: ["泄露"] } } });
    expect(wrongParam.status).toBe(400);
    expect(wrongParam.json.field).toBe("params");
    expect((await env.call("PATCH", `/api/rules/${rule.json.id}`, { body: { channelIds: [99999] } })).status).toBe(400);
    expect((await env.call("PATCH", "/api/rules/99999", { body: { severity: "info" } })).status).toBe(404);
    expect((await env.call("POST", `/api/rules/${rule.json.id}/disable`)).json.enabled).toBe(false);
    expect((await env.call("POST", `/api/rules/${rule.json.id}/enable`)).json.enabled).toBe(true);
    const listed = await env.call("GET", "/api/rules", { role: "operator" });
    expect(listed.json.map((r: { id: number }) => r.id)).toContain(rule.json.id);
    const log = await env.call("GET", `/api/audit?entity=rule&entityId=${rule.json.id}`);
    expect(log.json.map((e: { action: string }) => e.action)).toEqual(["enable", "disable", "update", "update", "create"]);
  });

  test("admins change a channel's target and secret in place; the new target is checked and the secret never shown", async () => {
    const hook = await env.call("POST", "/api/channels", { body: { name: "team hook", kind: "webhook", target: "https://93.184.215.14/a", secret: "first-secret", allowPrivateTargets: false } });
    expect(hook.status, hook.text).toBe(201);
    const id = hook.json.id;
    const toPrivate = await env.call("PATCH", `/api/channels/${id}`, { body: { target: "http://169.254.169.254/latest" } });
    expect(toPrivate.status).toBe(400);
    expect(toPrivate.json.field).toBe("url");
    const moved = await env.call("PATCH", `/api/channels/${id}`, { body: { target: "https://93.184.215.14/b/tok3n", secret: "second-secret" } });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.json).toMatchObject({ id, name: "team hook", hasSecret: true });
    expect(moved.text).not.toContain("second-secret");
    expect(moved.text).not.toContain("tok3n");
    const [row] = await env.database.sql`select target, secret from channels where id = ${id}`;
    expect(row).toEqual({ target: "https://93.184.215.14/b/tok3n", secret: "second-secret" });
    expect((await env.call("PATCH", `/api/channels/${id}`, { body: { kind: "slack" } })).status).toBe(400);
    expect((await env.call("PATCH", `/api/channels/${id}`, { role: "operator", body: { secret: null } })).status).toBe(403);
    const audit = await env.call("GET", `/api/audit?entity=channel&entityId=${id}`);
    expect(audit.json.map((e: { action: string }) => e.action)).toEqual(["update", "create"]);
    expect(audit.text).not.toContain("second-secret");
  });
});

describe("inbox", () => {
  test("an operator lists, filters, acks and resolves alerts with a note, and each step is audited", async () => {
    const res = await env.call("POST", "/api/ingest", { role: "ingest", body: { app: "喵记", items: [{ id: "b1", text: "垃圾，一直闪退，一星", rating: 1 }, { id: "b2", text: "还行吧，一般般的体验", rating: 4 }] } });
    expect(res.json.alerts).toBe(1);
    const inbox = await env.call("GET", "/api/alerts?state=open", { role: "operator" });
    expect(inbox.json.items).toHaveLength(1);
    const alert = inbox.json.items[0];
    expect(alert).toMatchObject({ kind: "low_rating", state: "open" });
    expect((await env.call("GET", "/api/alerts?state=open&severity=info", { role: "operator" })).json.items).toHaveLength(0);

    const acked = await env.call("POST", `/api/alerts/${alert.id}/ack`, { role: "operator" });
    expect(acked.json).toMatchObject({ state: "acked", acked_by: expect.stringMatching(/test-operator$/) });
    const again = await env.call("POST", `/api/alerts/${alert.id}/ack`, { role: "operator" });
    expect(again.status).toBe(409);
    const resolved = await env.call("POST", `/api/alerts/${alert.id}/resolve`, { role: "operator", body: { note: "已修复，3.1.1 发布" } });
    expect(resolved.json).toMatchObject({ state: "resolved", note: "已修复，3.1.1 发布" });
    const audit = await env.call("GET", `/api/audit?entity=alert&entityId=${alert.id}`);
    expect(audit.json.map((e: { action: string; role: string }) => [e.action, e.role])).toEqual([["resolve", "operator"], ["ack", "operator"]]);
    expect((await env.call("POST", "/api/alerts/999999/ack", { role: "operator" })).status).toBe(404);
  });

  test("retrying a dead delivery puts it back in the queue; an alert without one is refused", async () => {
    const [a] = await env.database.sql<{ id: string }[]>`select id from alerts order by id desc limit 1`;
    const [c] = await env.database.sql<{ id: number }[]>`select id from channels limit 1`;
    await env.database.sql`delete from deliveries where alert_id = ${a!.id}`;
    await env.database.sql`insert into deliveries (alert_id, channel_id, state, attempts, last_error) values (${a!.id}, ${c!.id}, 'dead', 8, 'HTTP 500')`;
    const retried = await env.call("POST", `/api/alerts/${a!.id}/retry`, { role: "operator" });
    expect(retried.status, retried.text).toBe(200);
    expect(retried.json).toEqual({ retried: 1 });
    const [d] = await env.database.sql<{ state: string }[]>`select state from deliveries where alert_id = ${a!.id}`;
    expect(d!.state).toBe("pending");
    expect((await env.call("POST", `/api/alerts/${a!.id}/retry`, { role: "operator" })).status).toBe(409);
  });
});
