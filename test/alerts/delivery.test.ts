import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliver } from "../../src/alerts/delivery.ts";
import { writeAlerts } from "../../src/alerts/outbox.ts";
import { cooldownKey, mentionDedupKey, mentionPayload } from "../../src/alerts/rules.ts";
import { mentionText, scoreTexts } from "../../src/nlp/index.ts";
import { updateAlertSettings, retryAlert } from "../../src/alerts/repo.ts";
import { startAlerting, type RunningAlerting } from "../../src/alerts/runtime.ts";
import { waitFor } from "../helpers/child.ts";
import { createTestEnv, type TestEnv } from "../helpers/env.ts";
import { startReceiver, type Receiver } from "./receiver.ts";
import { fastAlertConfig, matched, review, rule, silent, store, watch, webhookChannel } from "./support.ts";

let env: TestEnv;
let alerting: RunningAlerting;
let receiver: Receiver;

beforeAll(async () => {
  env = await createTestEnv();
  receiver = await startReceiver();
  alerting = await startAlerting(env.config, { database: env.database, logger: silent, alertConfig: fastAlertConfig, checks: false });
});
afterAll(async () => {
  await alerting.close();
  await receiver.close();
  await env.teardown();
});

const sql = () => env.database.sql;
const hooksFor = (path: string) => receiver.received.filter((r) => r.url === path);
const deliveriesOf = (alertIds: number[]) =>
  sql()<{ state: string; attempts: number }[]>`select state, attempts from deliveries where alert_id = any(${sql().array(alertIds, 20)}::int8[]) order by id`;
const alertIdsOf = async (watchlistId: number) =>
  (await sql()<{ id: string }[]>`select id from alerts where watchlist_id = ${watchlistId} order by id`).map((r) => Number(r.id));

describe("alert delivery to a webhook", () => {
  it("sends a low-rating review once, signed over timestamp and body, with the alert id as idempotency key", async () => {
    const w = await watch(sql(), env.database.db, "签名App");
    const ch = await webhookChannel(sql(), `${receiver.url}/signed`);
    await rule(sql(), { kind: "low_rating", watchlistId: w, channelIds: [ch], params: { maxRating: 2 } });
    const r = await store(sql(), w, matched([""], review("更新后一直闪退 <b>@all</b>", { rating: 1 }), review("很好用", { rating: 5 })));
    expect(r.alerts).toBe(1);

    const [hit] = await waitFor(() => hooksFor("/signed").length === 1 && hooksFor("/signed"), "the webhook");
    const [alertId] = await alertIdsOf(w);
    const ts = hit!.headers["x-earshot-timestamp"] as string;
    expect(hit!.headers["idempotency-key"]).toBe(String(alertId));
    expect(hit!.headers["x-earshot-signature"]).toBe(`sha256=${createHmac("sha256", "s3cret-key").update(`${ts}.${hit!.body}`).digest("hex")}`);
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
    const body = hit!.json as { type: string; idempotencyKey: string; alerts: Record<string, unknown>[] };
    expect(body.type).toBe("alert");
    expect(body.idempotencyKey).toBe(String(alertId));
    expect(body.alerts).toHaveLength(1);
    expect(body.alerts[0]).toMatchObject({
      id: alertId,
      kind: "low_rating",
      severity: "warning",
      app: "签名App",
      source: "appstore",
      title: "Low rating (1★) on appstore for 签名App",
      mention: { rating: 1, excerpt: "更新后一直闪退 <b>@all</b>" },
    });
    await waitFor(async () => (await deliveriesOf([alertId!]))[0]?.state === "delivered", "the delivery to be recorded");
    const log = await sql()`select l.status_code, l.latency_ms, l.error from delivery_log l join deliveries d on d.id = l.delivery_id where d.alert_id = ${alertId!}`;
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ status_code: 200, error: null });
  });

  it("makes one alert for a mention found by three keywords and twice more by reruns", async () => {
    const w = await watch(sql(), env.database.db, "三词App", ["泄露", "诈骗", "封号"]);
    const ch = await webhookChannel(sql(), `${receiver.url}/three`);
    await rule(sql(), { kind: "keyword", watchlistId: w, channelIds: [ch], params: { words: ["泄露", "诈骗", "封号", "data breach"] } });
    const p = review("账号被封号还说我诈骗，个人信息泄露了", { url: "https://weibo.example/1" });
    const first = await store(sql(), w, [...matched(["泄露"], p), ...matched(["诈骗"], p), ...matched(["封号"], p)], "weibo");
    const again = await store(sql(), w, matched(["泄露"], p), "weibo");
    const third = await store(sql(), w, matched(["诈骗"], { ...p, text: "edited" }), "weibo");
    expect([first.alerts, again.alerts, third.alerts]).toEqual([1, 0, 0]);
    await waitFor(() => hooksFor("/three").length === 1, "the webhook");
    const body = hooksFor("/three")[0]!.json as { alerts: { matchedKeywords: string[]; severity: string }[] };
    expect(body.alerts[0]!.matchedKeywords).toEqual(["泄露", "诈骗", "封号"]);
    expect(body.alerts[0]!.severity).toBe("critical");
    await new Promise((r) => setTimeout(r, 300));
    expect(hooksFor("/three")).toHaveLength(1);
  });

  it("never alerts again for a repost of a text that alerted already", async () => {
    const w = await watch(sql(), env.database.db, "转发App", ["lawsuit"]);
    const ch = await webhookChannel(sql(), `${receiver.url}/repost`);
    await rule(sql(), { kind: "keyword", watchlistId: w, channelIds: [ch], params: { words: ["lawsuit"] } });
    const text = "We are filing a class action lawsuit over the data they sold";
    const a = await store(sql(), w, matched(["lawsuit"], review(text)), "weibo");
    const b = await store(sql(), w, matched(["lawsuit"], review(text)), "weibo");
    expect([a.alerts, b.alerts, b.duplicates]).toEqual([1, 0, 1]);
  });

  it("alerts a second watchlist's rule once for a review another watchlist stored first", async () => {
    const first = await watch(sql(), env.database.db, "先存App");
    const second = await watch(sql(), env.database.db, "后找App");
    const ch = await webhookChannel(sql(), `${receiver.url}/second-watchlist`);
    const ruleA = await rule(sql(), { kind: "low_rating", watchlistId: first, channelIds: [ch] });
    const ruleB = await rule(sql(), { kind: "low_rating", watchlistId: second, channelIds: [ch] });
    const oneStar = review("一星，更新后再也打不开了", { rating: 1 });
    const a = await store(sql(), first, matched([""], oneStar));
    const b = await store(sql(), second, matched([""], oneStar));
    const rerun = await store(sql(), second, matched([""], oneStar));
    expect([a.inserted.length, b.inserted.length]).toEqual([1, 0]);
    expect([a.alerts, b.alerts, rerun.alerts]).toEqual([1, 1, 0]);
    const rows = await sql()`select rule_id, mention_id, payload->>'app' as app from alerts where rule_id in (${ruleA}, ${ruleB}) order by id`;
    const mentionId = a.inserted[0]!.id;
    expect(rows.map((r) => [r.rule_id, Number(r.mention_id), r.app])).toEqual([[ruleA, mentionId, "先存App"], [ruleB, mentionId, "后找App"]]);
    await waitFor(() => hooksFor("/second-watchlist").length === 2, "both deliveries");
  });

  it("does not alert a rule again for a repost of a text it alerted for, when another watchlist stored the repost first", async () => {
    const finder = await watch(sql(), env.database.db, "转发后找App", ["lawsuit"]);
    const other = await watch(sql(), env.database.db, "转发先存App", ["class action"]);
    const ch = await webhookChannel(sql(), `${receiver.url}/repost-other`);
    const ruleId = await rule(sql(), { kind: "keyword", watchlistId: finder, channelIds: [ch], params: { words: ["lawsuit"] } });
    const text = "Filing a class action lawsuit because they sold our contact lists to advertisers";
    const original = await store(sql(), finder, matched(["lawsuit"], review(text)), "weibo");
    const repost = review(text);
    const storedByOther = await store(sql(), other, matched(["class action"], repost), "weibo");
    const foundByFinder = await store(sql(), finder, matched(["lawsuit"], repost), "weibo");
    expect([original.alerts, storedByOther.duplicates, foundByFinder.inserted.length, foundByFinder.alerts]).toEqual([1, 1, 0, 0]);
    expect(await sql()`select id from alerts where rule_id = ${ruleId}`).toHaveLength(1);
  });

  it("delivers each alert once when the receiver is down and then comes back", async () => {
    const w = await watch(sql(), env.database.db, "宕机App");
    const flaky = await startReceiver();
    const ch = await webhookChannel(sql(), `${flaky.url}/flaky`);
    await rule(sql(), { kind: "low_rating", watchlistId: w, channelIds: [ch] });
    await flaky.down();
    await store(sql(), w, matched([""], review("差评一", { rating: 1 }), review("差评二", { rating: 2 }), review("差评三", { rating: 1 })));
    const ids = await alertIdsOf(w);
    await waitFor(async () => (await deliveriesOf(ids)).every((d) => d.attempts >= 1), "a failed first try of each");
    await flaky.up();
    await waitFor(async () => (await deliveriesOf(ids)).every((d) => d.state === "delivered"), "every delivery", 20_000);
    const keys = flaky.received.map((r) => r.headers["idempotency-key"]).sort();
    expect(keys).toEqual(ids.map(String).sort());
    await flaky.close();
  });

  it("retries 500s and timeouts with backoff, then marks the delivery dead; a retry by hand delivers it", async () => {
    const w = await watch(sql(), env.database.db, "重试App");
    const ch = await webhookChannel(sql(), `${receiver.url}/dead`);
    await rule(sql(), { kind: "low_rating", watchlistId: w, channelIds: [ch] });
    // Four tries: two 500s, a timeout, a 503.
    receiver.answers.push({ status: 500 }, { status: 500 }, { delayMs: 1500 }, { status: 503, body: '{"error":"busy"}' });
    await store(sql(), w, matched([""], review("一星", { rating: 1 })));
    const [id] = await alertIdsOf(w);
    await waitFor(async () => (await deliveriesOf([id!]))[0]?.state === "dead", "the delivery to die", 20_000);
    const log = await sql()<{ attempt: number; status_code: number | null; error: string }[]>`
      select l.attempt, l.status_code, l.error from delivery_log l join deliveries d on d.id = l.delivery_id where d.alert_id = ${id!} order by l.id`;
    expect(log.map((l) => l.attempt)).toEqual([1, 2, 3, 4]);
    expect(log.map((l) => l.status_code)).toEqual([500, 500, null, 503]);
    expect(log[2]!.error).toMatch(/no answer within 400 ms/);
    const times = hooksFor("/dead").map((r) => r.at);
    // Exponential: the gaps grow (40 ms, 80 ms, 160 ms, less jitter, plus the timeout).
    expect(times).toHaveLength(4);
    expect(times[3]! - times[2]!).toBeGreaterThanOrEqual(100);

    expect(await retryAlert(sql(), alerting.queue, id!, fastAlertConfig)).toBe(1);
    await waitFor(async () => (await deliveriesOf([id!]))[0]?.state === "delivered", "the retried delivery");
    expect(hooksFor("/dead")).toHaveLength(5);
  });

  it("refuses a 4xx at once instead of retrying it for an hour", async () => {
    const w = await watch(sql(), env.database.db, "拒收App");
    const ch = await webhookChannel(sql(), `${receiver.url}/gone`);
    await rule(sql(), { kind: "low_rating", watchlistId: w, channelIds: [ch] });
    receiver.answers.push({ status: 404, body: "no_service" });
    await store(sql(), w, matched([""], review("差", { rating: 1 })));
    const [id] = await alertIdsOf(w);
    await waitFor(async () => (await deliveriesOf([id!]))[0]?.state === "dead", "the delivery to die");
    expect((await deliveriesOf([id!]))[0]!.attempts).toBe(1);
  });

  // Injects: the same delivery run four times at once (the worker's job and three more, as when
  // Redis loses an active job and the sweeper re-adds it). Asserts: one POST, one logged attempt.
  it("sends a delivery once when several workers run its job at the same time", async () => {
    const w = await watch(sql(), env.database.db, "并发App");
    const ch = await webhookChannel(sql(), `${receiver.url}/concurrent`);
    await rule(sql(), { kind: "low_rating", watchlistId: w, channelIds: [ch] });
    // Slow enough for the four to overlap, quicker than the worker's 400 ms send timeout.
    receiver.answers.push({ delayMs: 300 });
    await store(sql(), w, matched([""], review("一直闪退", { rating: 1 })));
    const [id] = await alertIdsOf(w);
    const deps = { sql: sql(), logger: silent, timeoutMs: 5000 };
    const outcomes = await Promise.all([1, 2, 3].map(() => deliver(deps, { kind: "one", alertId: id!, channelId: ch }, false)));
    await waitFor(async () => (await deliveriesOf([id!]))[0]?.state === "delivered", "the delivery");
    await new Promise((r) => setTimeout(r, 300));
    expect(hooksFor("/concurrent")).toHaveLength(1);
    expect(outcomes.filter((o) => o.result === "held").length).toBeGreaterThanOrEqual(2);
    expect((await deliveriesOf([id!]))[0]!.attempts).toBe(1);
    const claims = await sql()<{ claimed: Date | null }[]>`select claimed_until as claimed from deliveries where alert_id = ${id!}`;
    expect(claims).toEqual([{ claimed: null }]);
  });
});

describe("complaint rules", () => {
  it("fire for a complaint at or below the score threshold, not above it, and only in the chosen categories", async () => {
    const w = await watch(sql(), env.database.db, "投诉App");
    const ch = await webhookChannel(sql(), `${receiver.url}/complaint`);
    const crash = "更新以后一直闪退，打开就崩溃，根本没法用";
    const payment = "自动续费关不掉，每个月都扣钱，退款也不给";
    const praise = "很好用，界面漂亮，推荐给朋友们";
    // Thresholds are set around the scores the pipeline gives these texts.
    const [c, p, ok] = scoreTexts([crash, payment, praise].map((text) => ({ text: mentionText(null, text), rating: null })));
    expect([c!.complaint, c!.category, p!.complaint, p!.category, ok!.complaint]).toEqual([true, "crash", true, "payment", false]);
    expect(c!.score!).toBeLessThan(p!.score!);
    const complaintRule = (params: Record<string, unknown>) => rule(sql(), { kind: "complaint", watchlistId: w, channelIds: [ch], params });
    const atPayment = await complaintRule({ maxScore: p!.score });
    const belowPayment = await complaintRule({ maxScore: p!.score! - 0.001 });
    const crashOnly = await complaintRule({ maxScore: 0, categories: ["crash"] });
    const otherCategories = await complaintRule({ maxScore: 0, categories: ["login", "ads"] });
    const anyScore = await complaintRule({ maxScore: 1 });

    const r = await store(sql(), w, matched(["闪退"], review(crash), review(payment), review(praise)), "weibo");
    const stored = await sql()`select text, sentiment_score from mentions where id = any(${sql().array(r.inserted.map((m) => m.id), 20)}::int8[]) order by id`;
    expect(stored.map((m) => m.sentiment_score)).toEqual([c!.score, p!.score, ok!.score].map((x) => expect.closeTo(x!, 3)));
    const fired = await sql()`
      select a.rule_id, m.text from alerts a join mentions m on m.id = a.mention_id where a.watchlist_id = ${w} order by a.rule_id, m.id`;
    expect(fired.map((a) => [a.rule_id, a.text])).toEqual([
      [atPayment, crash],
      [atPayment, payment],
      [belowPayment, crash],
      [crashOnly, crash],
      [anyScore, crash],
      [anyScore, payment],
    ]);
    expect(fired.some((a) => a.rule_id === otherCategories)).toBe(false);
    expect(r.alerts).toBe(6);
  });
});

describe("noise control", () => {
  it("suppresses a second alert for the same author within the rule's cooldown", async () => {
    const w = await watch(sql(), env.database.db, "冷却App");
    const ch = await webhookChannel(sql(), `${receiver.url}/cool`);
    await rule(sql(), { kind: "low_rating", watchlistId: w, channelIds: [ch], cooldownSec: 3600, cooldownBy: "author" });
    await store(sql(), w, matched([""], review("一", { rating: 1, author: "angry" }), review("二", { rating: 1, author: "angry" })));
    await store(sql(), w, matched([""], review("三", { rating: 2, author: "angry" }), review("四", { rating: 1, author: "calm" })));
    const rows = await sql()`select payload->'mention'->>'author' as author, suppressed from alerts where watchlist_id = ${w} order by id`;
    expect(rows.map((r) => [r.author, r.suppressed])).toEqual([["angry", null], ["angry", "cooldown"], ["angry", "cooldown"], ["calm", null]]);
    await waitFor(() => hooksFor("/cool").length === 2, "two deliveries");
  });

  // Injects: a page whose alert is written but not yet committed while a second worker stores
  // another post of the same author. Asserts: the second waits and is suppressed by the first.
  it("keeps a cooldown across two transactions storing the same author's posts at once", async () => {
    const w = await watch(sql(), env.database.db, "并发冷却App");
    const ch = await webhookChannel(sql(), `${receiver.url}/cool-race`);
    const ruleId = await rule(sql(), { kind: "low_rating", watchlistId: w, channelIds: [ch], cooldownSec: 3600, cooldownBy: "author" });
    // A mention stored by another watchlist (no rules there), then alerted by hand in an open transaction.
    const other = await watch(sql(), env.database.db, "并发冷却App-其他");
    const first = (await store(sql(), other, matched([""], review("第一条差评", { rating: 1, author: "racer" })))).inserted[0]!;
    let commitFirst!: () => void;
    const gate = new Promise<void>((r) => (commitFirst = r));
    const mentionRule = { id: ruleId, kind: "low_rating" as const, severity: "warning" as const, params: {}, cooldownSec: 3600, cooldownBy: "author" as const };
    let written!: () => void;
    const firstWritten = new Promise<void>((r) => (written = r));
    const firstTx = sql().begin(async (tx) => {
      await writeAlerts(tx, [{
        ruleId, watchlistId: w, kind: "low_rating", severity: "warning", mentionId: first.id, dedupKey: mentionDedupKey(ruleId, first),
        cooldownKey: cooldownKey(mentionRule, first), cooldownSec: 3600, suppressed: null, digestMinutes: 0,
        payload: mentionPayload("low_rating", "并发冷却App", first, { matchedKeywords: [] }),
      }]);
      written();
      await gate;
    });
    await firstWritten;
    const second = store(sql(), w, matched([""], review("第二条差评", { rating: 1, author: "racer" })));
    await new Promise((r) => setTimeout(r, 300));
    commitFirst();
    await firstTx;
    await second;
    const rows = await sql()`select mention_id, suppressed from alerts where rule_id = ${ruleId} order by id`;
    expect(rows.map((r) => r.suppressed)).toEqual([null, "cooldown"]);
  });

  it("records alerts of a muted watchlist without delivering them", async () => {
    const w = await watch(sql(), env.database.db, "静音App");
    const ch = await webhookChannel(sql(), `${receiver.url}/muted`);
    await rule(sql(), { kind: "low_rating", watchlistId: w, channelIds: [ch] });
    await updateAlertSettings(sql(), w, { muted: true }, "test");
    const r = await store(sql(), w, matched([""], review("差", { rating: 1 })));
    expect(r.alerts).toBe(1);
    expect(await sql()`select suppressed from alerts where watchlist_id = ${w}`).toEqual([{ suppressed: "muted" }]);
    expect(await sql()`select d.id from deliveries d join alerts a on a.id = d.alert_id where a.watchlist_id = ${w}`).toHaveLength(0);
  });

  it("sends one digest message for all alerts of a watchlist's window", async () => {
    const w = await watch(sql(), env.database.db, "摘要App");
    const ch = await webhookChannel(sql(), `${receiver.url}/digest`);
    await rule(sql(), { kind: "low_rating", watchlistId: w, channelIds: [ch] });
    await updateAlertSettings(sql(), w, { digestMinutes: 15 }, "test");
    await store(sql(), w, matched([""], review("一", { rating: 1 }), review("二", { rating: 2 })));
    await store(sql(), w, matched([""], review("三", { rating: 1 })));
    const job = await waitFor(async () => {
      const jobs = await alerting.queue.getDelayed();
      return jobs.find((j) => j.id?.startsWith(`digest-${ch}-${w}-`));
    }, "the digest job");
    const until = Number(job.id!.split("-").pop()) * 1000;
    expect(until % (15 * 60_000)).toBe(0);
    expect(until).toBeGreaterThan(Date.now());
    await job.promote(); // the window's end, now
    await waitFor(() => hooksFor("/digest").length === 1, "the digest");
    const body = hooksFor("/digest")[0]!.json as { type: string; idempotencyKey: string; alerts: unknown[] };
    expect(body.type).toBe("digest");
    expect(body.idempotencyKey).toBe(job.id);
    expect(body.alerts).toHaveLength(3);
  });

  it("holds warnings during quiet hours and lets critical alerts break through", async () => {
    const w = await watch(sql(), env.database.db, "夜间App");
    const ch = await webhookChannel(sql(), `${receiver.url}/quiet`);
    await rule(sql(), { kind: "low_rating", watchlistId: w, channelIds: [ch], severity: "warning" });
    await rule(sql(), { kind: "keyword", watchlistId: w, channelIds: [ch], severity: "critical", params: { words: ["诈骗"] } });
    const hh = (offsetH: number) => new Date(Date.now() + offsetH * 3600_000).toISOString().slice(11, 16);
    await updateAlertSettings(sql(), w, { quiet: { start: hh(-1), end: hh(2) }, timezone: "UTC", breakthrough: "critical" }, "test");
    await store(sql(), w, matched([""], review("一星", { rating: 1 }), review("这是诈骗软件", { rating: 3 })));
    await waitFor(() => hooksFor("/quiet").length === 1, "the critical alert");
    expect((hooksFor("/quiet")[0]!.json as { alerts: { kind: string }[] }).alerts[0]!.kind).toBe("keyword");
    const ids = await alertIdsOf(w);
    const held = await waitFor(
      async () => (await alerting.queue.getDelayed()).find((j) => j.data && "alertId" in j.data && ids.includes(j.data.alertId)),
      "the held warning",
    );
    expect(held.delay + held.timestamp).toBeGreaterThan(Date.now() + 3600_000);
  });
});

describe("configuration", () => {
  it("takes its delivery settings from the configuration it is started with, not from the environment", async () => {
    expect(process.env.EARSHOT_NOTIFY_CONCURRENCY).toBeUndefined();
    const own = await startAlerting({ ...env.config, alerts: { ...env.config.alerts, concurrency: 7 } }, { database: env.database, logger: silent, checks: false });
    try {
      expect(own.worker.opts.concurrency).toBe(7);
    } finally {
      await own.close();
    }
  });
});
