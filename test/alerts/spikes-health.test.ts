import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCrawl } from "../../jobs/crawl.ts";
import type { AlertPayload } from "../../src/alerts/payload.ts";
import { createSourceHealthMonitor, type SourceRunEvent } from "../../src/alerts/source-health.ts";
import { checkSpikes } from "../../src/alerts/spikes.ts";
import { createCrawlTestEnv, type CrawlTestEnv } from "../helpers/crawl.ts";
import { matched, review, rule, silent, store, watch, webhookChannel } from "./support.ts";

let env: CrawlTestEnv;
beforeAll(async () => {
  env = await createCrawlTestEnv();
});
afterAll(() => env.teardown());

const sql = () => env.database.sql;
const HOUR = 3600_000;
const WEEK = 7 * 24 * HOUR;
const alertsOf = (kind: string) =>
  sql()<{ id: string; payload: AlertPayload; severity: string }[]>`select id, payload, severity from alerts where kind = ${kind} order by id`;

describe("spike alerts", () => {
  it("alerts once per episode when negative mentions reach the minimum and k × the same hour of past weeks", async () => {
    const w = await watch(sql(), env.database.db, "尖峰App");
    const ch = await webhookChannel(sql(), "http://127.0.0.1:9/unused");
    await rule(sql(), { kind: "spike", watchlistId: w, channelIds: [ch], params: { windowMinutes: 60, minCount: 5, factor: 3, weeks: 2 } });
    const now = new Date();
    const at = (msAgo: number) => new Date(now.getTime() - msAgo);
    const bad = (text: string, publishedAt: Date) => review(text, { rating: 1, publishedAt });

    // Two a week ago and four a fortnight ago at this hour: a baseline of 3, so the threshold is 9.
    await store(sql(), w, matched([""], ...[1, 2].map((i) => bad(`上周的差评 ${i} 号`, at(WEEK + 10 * 60_000 * i)))));
    await store(sql(), w, matched([""], ...[1, 2, 3, 4].map((i) => bad(`两周前的差评 ${i} 号`, at(2 * WEEK + 5 * 60_000 * i)))));
    await store(sql(), w, matched([""], ...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => bad(`登录不了，一直闪退，第 ${i} 次了`, at(i * 60_000)))));
    // Positive and old ones do not count.
    await store(sql(), w, matched([""], review("很好用，五星", { rating: 5, publishedAt: at(60_000) }), bad("三小时前的", at(3 * HOUR))));

    expect(await checkSpikes({ sql: sql(), logger: silent }, now)).toMatchObject({ started: 0 });
    await store(sql(), w, matched([""], bad("又闪退了，第九次了真的受不了", at(30_000))));
    expect(await checkSpikes({ sql: sql(), logger: silent }, now)).toMatchObject({ started: 1 });
    await store(sql(), w, matched([""], bad("第十个差评，闪退", at(20_000))));
    expect(await checkSpikes({ sql: sql(), logger: silent }, now)).toMatchObject({ started: 0, ended: 0 });

    const [spike] = await alertsOf("spike");
    expect(spike!.severity).toBe("critical");
    expect(spike!.payload.spike).toMatchObject({ windowMinutes: 60, count: 9, baseline: 3, factor: 3, minCount: 5 });
    expect(spike!.payload.spike!.samples).toHaveLength(3);
    expect(await sql()`select state from deliveries where alert_id = ${spike!.id}`).toEqual([{ state: "pending" }]);
    const [episode] = await sql()`select peak_count, ended_at from spike_episodes`;
    expect(episode).toMatchObject({ peak_count: 10, ended_at: null });

    // Quiet for hours: the episode ends; a new burst is a new episode and a new alert.
    const later = new Date(now.getTime() + 5 * HOUR);
    expect(await checkSpikes({ sql: sql(), logger: silent }, later)).toMatchObject({ ended: 1 });
    await store(sql(), w, matched([""], ...Array.from({ length: 9 }, (_, i) => bad(`新一轮的差评，编号 ${i}，还是闪退`, new Date(later.getTime() - (i + 1) * 60_000)))));
    expect(await checkSpikes({ sql: sql(), logger: silent }, later)).toMatchObject({ started: 1 });
    expect(await alertsOf("spike")).toHaveLength(2);
  });
});

describe("source-health alerts", () => {
  it("alerts once when a source is blocked and once when it recovers, not once per run", async () => {
    const ch = await webhookChannel(sql(), "http://127.0.0.1:9/unused");
    await rule(sql(), { kind: "source_health", channelIds: [ch], params: { failingRuns: 3, silentRuns: 2, plentyItems: 10 } });
    const w = await watch(sql(), env.database.db, "喵记");
    await sql()`update apps set appstore_id = '1500000001', appstore_countries = '{us}' where name = '喵记'`;
    const deps = { ...env.deps, sourceHealth: createSourceHealthMonitor({ sql: sql(), logger: silent }) };
    const crawl = () => runCrawl(deps, { id: `h-${Date.now()}`, data: { watchlistId: w, source: "appstore", trigger: "manual" }, attemptsMade: 0 });

    env.sandbox.fail({ match: "/rss/customerreviews/", status: 418, body: "I'm a teapot" });
    expect((await crawl()).status).toBe("blocked");
    await sql()`update source_health set blocked_until = now() - interval '1 second'`;
    expect((await crawl()).status).toBe("blocked");
    env.sandbox.clearFaults();
    await sql()`update source_health set blocked_until = now() - interval '1 second'`;
    expect((await crawl()).status).toBe("ok");
    expect((await crawl()).status).toBe("ok");

    const health = await alertsOf("source_health");
    expect(health.map((a) => [a.payload.health!.condition, a.payload.health!.change, a.severity])).toEqual([
      ["blocked", "started", "warning"],
      ["blocked", "recovered", "info"],
    ]);
    expect(health[0]!.payload.title).toBe("Source health: appstore is blocked");
  });

  it("alerts when a source fails N runs in a row, and when healthy runs suddenly parse nothing", async () => {
    const monitor = createSourceHealthMonitor({ sql: sql(), logger: silent });
    const run = (e: { outcome: "ok"; itemsParsed: number } | { outcome: "failed"; error: string }) => monitor.onRun({ source: "tieba", ...e } as SourceRunEvent);
    for (let i = 0; i < 4; i++) await run({ outcome: "failed", error: "HTTP 502" });
    for (const items of [40, 50, 45]) await run({ outcome: "ok", itemsParsed: items });
    for (let i = 0; i < 3; i++) await run({ outcome: "ok", itemsParsed: 0 });
    await run({ outcome: "ok", itemsParsed: 38 });
    const health = (await alertsOf("source_health")).filter((a) => a.payload.source === "tieba").map((a) => `${a.payload.health!.condition} ${a.payload.health!.change}`);
    expect(health).toEqual(["failing started", "failing recovered", "silent started", "silent recovered"]);
  });
});
