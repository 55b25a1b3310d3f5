import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/db/client.ts";
import { createWatchlist, deleteWatchlist, upsertApp } from "../../src/db/repo/watchlists.ts";
import { noAlerts, type AlertStage, type StoredMention } from "../../src/alerts/stage.ts";
import { canonicalText, hammingDistance, simBands, simhash } from "../../src/pipeline/fingerprint.ts";
import { processPage, type MatchedItem } from "../../src/pipeline/index.ts";
import type { RawMention } from "../../src/sources/types.ts";
import { createTestEnv, type TestEnv } from "../helpers/env.ts";

let env: TestEnv;
let counted: Database;
let statements: string[] = [];
let watchA: number;
let watchB: number;

beforeAll(async () => {
  env = await createTestEnv();
  counted = openDatabase(env.config.databaseUrl, { max: 1, onQuery: (q) => statements.push(q) });
  await counted.sql`select 1`; // the connection's own start-up queries are not the store's
  const app = await upsertApp(env.database.db, { name: "微信", aliases: ["WeChat"] });
  watchA = (await createWatchlist(env.database.db, { appId: app.id, keywords: ["闪退", "卡顿"], sources: ["weibo"], intervalSec: 900, by: "test" })).id;
  watchB = (await createWatchlist(env.database.db, { appId: app.id, keywords: ["crash"], sources: ["weibo"], intervalSec: 900, by: "test" })).id;
});
afterAll(async () => {
  await counted.close();
  await env.teardown();
});

const deps = (alertStage: AlertStage = noAlerts) => ({ sql: env.database.sql, alertStage, dedupMinChars: 12 });
const post = (id: string, text: string, extra: Partial<RawMention> = {}): RawMention => ({
  externalId: id, url: `https://m.weibo.cn/status/${id}`, author: "user", title: null, text,
  publishedAt: new Date("2026-11-20T08:00:00Z"), ...extra,
});
const matched = (keywords: string[], ...raws: RawMention[]): MatchedItem[] => raws.map((raw) => ({ raw, keywords }));
const count = async (table: string) =>
  Number((await env.database.sql.unsafe(`select count(*)::int as n from ${table}`))[0]!.n);

describe("the mention store", () => {
  it("stores a post found by two keywords and two runs as one row with two matches", async () => {
    const p = post("m1", "微信更新之后一直闪退，而且卡顿得厉害，根本没法用");
    const first = await processPage(deps(), { source: "weibo", watchlistId: watchA, items: matched(["闪退"], p) });
    const second = await processPage(deps(), { source: "weibo", watchlistId: watchA, items: matched(["卡顿"], p) });
    const rerun = await processPage(deps(), { source: "weibo", watchlistId: watchA, items: matched(["闪退"], { ...p, text: "changed" }) });
    expect([first.inserted.length, second.inserted.length, rerun.inserted.length]).toEqual([1, 0, 0]);
    const rows = await env.database.sql`select id, text from mentions where source = 'weibo' and external_id = 'm1'`;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.text).toBe(p.text); // a rerun changes nothing but the match
    const matches = await env.database.sql`
      select keyword, seen_count from mention_matches where mention_id = ${rows[0]!.id} order by keyword`;
    expect(matches.map((m) => [m.keyword, m.seen_count])).toEqual([["卡顿", 1], ["闪退", 2]]);
  });

  it("records a second watchlist's find as one more match on the same row", async () => {
    const p = post("m2", "MyApp crashes every time I open the camera since the update");
    await processPage(deps(), { source: "weibo", watchlistId: watchA, items: matched(["闪退"], p) });
    const r = await processPage(deps(), { source: "weibo", watchlistId: watchB, items: matched(["crash"], p) });
    expect(r.inserted).toHaveLength(0);
    const m = await env.database.sql`
      select watchlist_id from mention_matches mm join mentions m on m.id = mm.mention_id
      where m.external_id = 'm2' order by watchlist_id`;
    expect(m.map((x) => x.watchlist_id)).toEqual([watchA, watchB]);
  });

  it("keeps on each mention the apps whose watchlists found it, for searches by term and app", async () => {
    const other = await upsertApp(env.database.db, { name: "QQ", aliases: [] });
    const watchQ = (await createWatchlist(env.database.db, { appId: other.id, keywords: ["卡"], sources: ["weibo"], intervalSec: 900, by: "test" })).id;
    const p = post("m-apps", "微信和QQ今天都卡住了，消息发不出去，真是服了");
    await processPage(deps(), { source: "weibo", watchlistId: watchA, items: matched(["卡顿"], p) });
    const appsOf = async () =>
      (await env.database.sql<{ app_ids: number[] }[]>`select app_ids from mentions where external_id = 'm-apps'`)[0]!.app_ids;
    const wechat = (await env.database.sql<{ app_id: number }[]>`select app_id from watchlists where id = ${watchA}`)[0]!.app_id;
    expect(await appsOf()).toEqual([wechat]);
    await processPage(deps(), { source: "weibo", watchlistId: watchQ, items: matched(["卡"], p) });
    await processPage(deps(), { source: "weibo", watchlistId: watchB, items: matched(["crash"], p) });
    expect(await appsOf()).toEqual([wechat, other.id].sort((a, b) => a - b));
  });

  it("marks an exact repost and a near-duplicate as duplicates of the first post, across sources and pages", async () => {
    const text =
      "更新到最新版以后一打开就闪退，聊天记录也打不开了，客服一直不回复。我试过重启手机、清除缓存、卸载重装，都没有用，" +
      "每次点开图标转两秒就直接退回桌面。工作群里的消息全都看不到，耽误了好几件事。希望官方尽快出个修复版本，不然只能换别的软件了。";
    const a = await processPage(deps(), { source: "weibo", watchlistId: watchA, items: matched(["闪退"], post("r1", text)) });
    const b = await processPage(deps(), {
      source: "tieba",
      watchlistId: watchA,
      items: matched(["闪退"], post("t1", `//@小明: ${text}！！`), post("t2", `同问 ${text}`)),
    });
    const original = a.inserted[0]!.id;
    expect(a.duplicates).toBe(0);
    expect(b.duplicates).toBe(2);
    expect(b.inserted.map((m) => m.duplicateOf)).toEqual([original, original]);
    const stored = await env.database.sql`select duplicate_of from mentions where external_id in ('t1', 't2')`;
    expect(stored.map((r) => Number(r.duplicate_of))).toEqual([original, original]);
  });

  it("calls a text at Hamming distance 3 a near-duplicate and one at distance 4 a new post", async () => {
    const base = "Since the update the app logs me out every few minutes and I lose my draft each time it happens";
    const hashOf = (t: string) => simhash(canonicalText(t));
    // Variants of the base text, one word changed, until one lands at each distance while sharing
    // a band (so the band index does find it as a candidate and only the distance decides).
    const words = ["again", "today", "twice", "still", "sadly", "really", "truly", "always", "often", "lately", "badly", "nearly"];
    const variants = words.flatMap((w) => [base.replace("every few", `every ${w}`), base.replace("each time", `${w} each time`), `${base} ${w}`]);
    const at = (d: number, apartFrom?: string) =>
      variants.find((v) =>
        hammingDistance(hashOf(base), hashOf(v)) === d &&
        simBands(hashOf(base)).some((b) => simBands(hashOf(v)).includes(b)) &&
        (apartFrom === undefined || hammingDistance(hashOf(apartFrom), hashOf(v)) > 3));
    const three = at(3);
    const four = three && at(4, three);
    expect(three && four, "a variant at distance 3 and one at 4 among the candidates").toBeTruthy();
    const first = await processPage(deps(), { source: "appstore", watchlistId: watchA, items: matched([""], post("h0", base)) });
    const r = await processPage(deps(), { source: "appstore", watchlistId: watchA, items: matched([""], post("h3", three!), post("h4", four!)) });
    expect(r.inserted.map((m) => [m.externalId, m.duplicateOf])).toEqual([["h3", first.inserted[0]!.id], ["h4", null]]);
  });

  it("marks a repeat inside the same page, and never calls short texts like 垃圾 duplicates", async () => {
    const text = "The new version drains my battery in two hours, please roll it back";
    const r = await processPage(deps(), {
      source: "appstore",
      watchlistId: watchA,
      items: matched([""], post("s1", text), post("s2", text), post("s3", "垃圾"), post("s4", "垃圾")),
    });
    expect(r.inserted.map((m) => m.duplicateOf)).toEqual([null, r.inserted[0]!.id, null, null]);
  });

  it("keeps unrelated posts apart", async () => {
    const r = await processPage(deps(), {
      source: "weibo",
      watchlistId: watchA,
      items: matched(["闪退"], post("u1", "今天天气不错，出去拍了几张照片，心情很好，晚上吃火锅"), post("u2", "登录的时候一直提示网络错误，换了wifi也不行，好烦")),
    });
    expect(r.duplicates).toBe(0);
  });

  it("stores a reposted original as its own mention, linked from the repost", async () => {
    const original = post("o1", "微信支付扣费了但是订单显示失败，钱去哪了", { author: "原作者" });
    const repost = post("o2", "我也遇到了，客服说要等七天", { reposted: original });
    const r = await processPage(deps(), { source: "weibo", watchlistId: watchA, items: matched(["扣费"], repost) });
    expect(r.inserted.map((m) => m.externalId)).toEqual(["o1", "o2"]);
    const [row] = await env.database.sql`select extra from mentions where external_id = 'o2'`;
    expect(row!.extra).toEqual({ repostOf: "o1" });
  });

  it("writes a page of 500 mentions in a fixed handful of statements, not one per mention", async () => {
    const items = matched(
      ["crash"],
      ...Array.from({ length: 500 }, (_, i) => post(`b${i}`, `Review number ${i}: the app ${i % 2 ? "crashes" : "freezes"} on screen ${i * 7919}`)),
    );
    statements = [];
    const deps500 = { sql: counted.sql, alertStage: noAlerts, dedupMinChars: 12 };
    const r = await processPage(deps500, { source: "appstore", watchlistId: watchB, items });
    expect(r.inserted).toHaveLength(500);
    const work = statements.filter((q) => !/^\s*(begin|commit)/i.test(q));
    // lock, candidates, insert, (duplicate links), matches
    expect(work.length).toBeLessThanOrEqual(5);
    statements = [];
    const again = await processPage(deps500, { source: "appstore", watchlistId: watchB, items });
    expect(again.inserted).toHaveLength(0);
    expect(await count("mentions where source = 'appstore' and external_id like 'b%'")).toBe(500);
  });

  it("hands a rerun's rows to the alert stage only once, inside the storing transaction", async () => {
    const seen: StoredMention[][] = [];
    const stage: AlertStage = {
      async onStored(tx, ms) {
        seen.push([...ms]);
        const [r] = await tx`select count(*)::int as n from mentions where id = ${ms[0]!.id}`;
        expect(r!.n).toBe(1); // visible to the transaction before commit
        return ms.length;
      },
    };
    const p = post("a1", "自动续费关不掉，每个月都扣钱，这是诈骗吧");
    const first = await processPage(deps(stage), { source: "weibo", watchlistId: watchA, items: matched(["扣费"], p) });
    const again = await processPage(deps(stage), { source: "weibo", watchlistId: watchA, items: matched(["扣费"], p) });
    expect([first.alerts, again.alerts]).toEqual([1, 0]);
    expect(seen).toHaveLength(1);
  });

  it("hands a mention another watchlist stored first to the alert stage once more, as the new watchlist's, with its stored duplicate_of", async () => {
    const seen: StoredMention[] = [];
    const stage: AlertStage = {
      async onStored(_tx, ms) {
        seen.push(...ms);
        return ms.length;
      },
    };
    const text = "换了新版本以后消息总是延迟好几分钟，卡顿得不行";
    const original = post("x1", text);
    const repost = post("x2", text);
    const runs = [
      await processPage(deps(stage), { source: "weibo", watchlistId: watchA, items: matched(["卡顿"], original, repost) }),
      // Another keyword of the same watchlist: not new to it.
      await processPage(deps(stage), { source: "weibo", watchlistId: watchA, items: matched(["闪退"], original, repost) }),
      await processPage(deps(stage), { source: "weibo", watchlistId: watchB, items: matched(["crash"], repost) }),
      await processPage(deps(stage), { source: "weibo", watchlistId: watchB, items: matched(["crash"], repost) }),
    ];
    expect(runs.map((r) => [r.inserted.length, r.alerts])).toEqual([[2, 2], [0, 0], [0, 1], [0, 0]]);
    const [x1, x2] = runs[0]!.inserted;
    expect(seen.map((m) => [m.id, m.watchlistId, m.duplicateOf])).toEqual([
      [x1!.id, watchA, null],
      [x2!.id, watchA, x1!.id],
      [x2!.id, watchB, x1!.id],
    ]);
  });

  it("rolls the page back when the alert stage fails, so nothing half-stored is left", async () => {
    const failing: AlertStage = { async onStored() { throw new Error("outbox unavailable"); } };
    await expect(
      processPage(deps(failing), { source: "weibo", watchlistId: watchA, items: matched(["x"], post("f1", "闪退闪退闪退，垃圾软件，退钱")) }),
    ).rejects.toThrow("outbox unavailable");
    expect(await count("mentions where external_id = 'f1'")).toBe(0);
  });
});

describe("edited store reviews", () => {
  const review = (id: string, text: string, rating: number): RawMention => ({
    externalId: id, url: null, author: "reviewer", title: null, text, rating,
    publishedAt: new Date("2026-11-20T08:00:00Z"), appVersion: "3.4.0",
  });

  it("takes an edited review's new text and rating and keeps the old version in its history", async () => {
    const before = review("e1", "Love it, been using it for two years without a single problem", 5);
    const after = review("e1", "Since the last update it crashes on launch and I lost all my notes", 1);
    const first = await processPage(deps(), { source: "googleplay", watchlistId: watchA, items: matched([""], before) });
    const edit = await processPage(deps(), { source: "googleplay", watchlistId: watchA, items: matched([""], after) });
    expect([first.inserted.length, first.edited, edit.inserted.length, edit.edited]).toEqual([1, 0, 0, 1]);
    const [row] = await env.database.sql`select id, text, rating, fingerprint from mentions where source = 'googleplay' and external_id = 'e1'`;
    expect([row!.text, row!.rating]).toEqual([after.text, 1]);
    const history = await env.database.sql`select text, rating from mention_revisions where mention_id = ${row!.id}`;
    expect(history.map((h) => [h.text, h.rating])).toEqual([[before.text, 5]]);

    const unchanged = await processPage(deps(), { source: "googleplay", watchlistId: watchA, items: matched([""], after) });
    expect(unchanged.edited).toBe(0);
    expect(await count(`mention_revisions where mention_id = ${row!.id}`)).toBe(1);
  });

  it("revises a page of edits in the same handful of statements as a page of new reviews", async () => {
    const page = (edited: boolean) =>
      matched([""], ...Array.from({ length: 300 }, (_, i) => review(`p${i}`, `Review ${i}: sync ${edited && i % 2 ? "fails every morning" : "works"} on device ${i * 7919}`, edited && i % 2 ? 2 : 4)));
    const deps300 = { sql: counted.sql, alertStage: noAlerts, dedupMinChars: 12 };
    await processPage(deps300, { source: "googleplay", watchlistId: watchB, items: page(false) });
    statements = [];
    const r = await processPage(deps300, { source: "googleplay", watchlistId: watchB, items: page(true) });
    expect([r.inserted.length, r.edited]).toEqual([0, 150]);
    expect(statements.filter((q) => !/^\s*(begin|commit)/i.test(q)).length).toBeLessThanOrEqual(5);
    expect(await count("mention_revisions r join mentions m on m.id = r.mention_id where m.external_id like 'p%'")).toBe(150);
  });
});

describe("deletes and concurrent pages", () => {
  it("deletes a mention's matches with the mention, and a watchlist's matches with the watchlist", async () => {
    const app = await upsertApp(env.database.db, { name: "MeowNote" });
    const gone = (await createWatchlist(env.database.db, { appId: app.id, keywords: ["crash"], sources: ["weibo"], intervalSec: 900, by: "test" })).id;
    const kept = (await createWatchlist(env.database.db, { appId: app.id, keywords: ["crash"], sources: ["weibo"], intervalSec: 900, by: "test" })).id;
    const items = matched(["crash"], post("d1", "MeowNote crashes whenever I attach a photo to a note"), post("d2", "MeowNote crashes on start since version 3"));
    await processPage(deps(), { source: "weibo", watchlistId: gone, items });
    await processPage(deps(), { source: "weibo", watchlistId: kept, items });
    expect(await count(`mention_matches where watchlist_id in (${gone}, ${kept})`)).toBe(4);

    expect(await deleteWatchlist(env.database.db, gone)).toBe(true);
    expect(await count(`mention_matches where watchlist_id = ${gone}`)).toBe(0);
    expect(await count(`mention_matches where watchlist_id = ${kept}`)).toBe(2);

    await env.database.sql`delete from mentions where source = 'weibo' and external_id = 'd1'`;
    const left = await env.database.sql`
      select m.external_id from mention_matches mm left join mentions m on m.id = mm.mention_id where mm.watchlist_id = ${kept}`;
    expect(left.map((r) => r.external_id)).toEqual(["d2"]);
  });

  it("stores a page for a watchlist deleted meanwhile without matching it to the dead watchlist", async () => {
    const app = await upsertApp(env.database.db, { name: "MeowNote" });
    const id = (await createWatchlist(env.database.db, { appId: app.id, keywords: ["crash"], sources: ["weibo"], intervalSec: 900, by: "test" })).id;
    await deleteWatchlist(env.database.db, id);
    const r = await processPage(deps(), { source: "weibo", watchlistId: id, items: matched(["crash"], post("d3", "MeowNote crashes when the phone rotates")) });
    expect(r.inserted).toHaveLength(1);
    expect(await count(`mention_matches where watchlist_id = ${id}`)).toBe(0);
  });

  it("takes an item back from the new ones when a concurrent page commits its key first, and points no repost at it", async () => {
    const text = "MeowNote deletes my drafts every time the sync runs, three weeks of notes lost";
    const other = await env.database.sql.reserve();
    try {
      // Another worker holds the same key with another text, not yet committed: the page's lookup
      // cannot see it, and its insert has to wait for it.
      await other`begin`;
      await other`insert into mentions (source, external_id, text, fingerprint, simhash, sim_bands)
                  values ('weibo', 'race1', 'an older text of the same post', 'f', 0, '{}')`;
      const page = processPage(deps(), {
        source: "weibo",
        watchlistId: watchA,
        items: matched(["闪退"], post("race1", text), post("race2", `//@小红: ${text}`)),
      });
      await new Promise((r) => setTimeout(r, 500));
      await other`commit`;
      const r = await page;
      expect(r.inserted.map((m) => [m.externalId, m.duplicateOf])).toEqual([["race2", null]]);
    } finally {
      other.release();
    }
    const rows = await env.database.sql`
      select m.external_id, m.text, m.duplicate_of, count(mm.keyword)::int as matches
      from mentions m left join mention_matches mm on mm.mention_id = m.id
      where m.external_id in ('race1', 'race2') group by m.id order by m.external_id`;
    expect(rows.map((x) => [x.external_id, x.text, x.duplicate_of, x.matches])).toEqual([
      ["race1", "an older text of the same post", null, 1],
      ["race2", `//@小红: ${text}`, null, 1],
    ]);
  });
});
