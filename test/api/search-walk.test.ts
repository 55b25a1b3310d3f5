import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FULLTEXT_RECENT_ROWS } from "../../src/api/search.ts";
import { createApiTestEnv, type ApiTestEnv } from "./support.ts";
import { seedWatchlist } from "./seed.ts";

// More rows than a full-text search walks on the date index before it asks the full-text index.
const ROWS = FULLTEXT_RECENT_ROWS + 1500;
let env: ApiTestEnv;
let truth: (term: string) => Promise<number[]>;

beforeAll(async () => {
  env = await createApiTestEnv({ dashboard: false, bullBoard: false });
  const { watchlistId } = await seedWatchlist(env.database.sql, "喵记");
  const other = await seedWatchlist(env.database.sql, "快跑");
  // Row g is g minutes old. 卡顿 is in every 97th row (common: the walk fills a page); 闪退 only in
  // the three oldest (rare: only the full-text index finds them), with English words. Even rows
  // belong to 喵记.
  await env.database.sql`
    insert into mentions (source, external_id, text, published_at, fingerprint, simhash, sim_bands, search_terms)
    select 'appstore', 'w' || g, t, now() - make_interval(mins => g), md5(g::text), g, '{}', public.earshot_search_vector(null, t)
    from (select g, case when g > ${ROWS - 3}::int then '一打开就闪退了 Crashes on launch #' || g when g % 97 = 0 then '滑动很卡顿 #' || g else '普通的评论 #' || g end as t
          from generate_series(1, ${ROWS}::int) g) s`;
  await env.database.sql`
    insert into mention_matches (mention_id, watchlist_id, keyword)
    select id, case when substr(external_id, 2)::int % 2 = 0 then ${watchlistId}::int else ${other.watchlistId}::int end, '' from mentions`;
  // What the store writes with each match: the app that found the mention.
  await env.database.sql`
    update mentions m set app_ids = array[w.app_id] from mention_matches mm join watchlists w on w.id = mm.watchlist_id
    where mm.mention_id = m.id`;
  await env.database.sql`analyze mentions`;
  truth = async (where) =>
    (await env.database.sql.unsafe(`select m.id from mentions m where ${where} order by m.published_at desc, m.id desc`)).map((r) => Number(r.id));
});
afterAll(async () => {
  await env?.teardown();
});

async function everyPage(query: string, limit: number): Promise<{ ids: number[]; pages: number }> {
  const ids: number[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const r = await env.call("GET", `/api/mentions?limit=${limit}&${query}${cursor ? `&cursor=${cursor}` : ""}`, { role: "analyst" });
    expect(r.status, r.text).toBe(200);
    ids.push(...r.json.items.map((m: { id: number }) => m.id));
    cursor = r.json.nextCursor;
    pages++;
  } while (cursor && pages < 100);
  return { ids, pages };
}

describe("full-text search over more rows than the newest-first walk reads", () => {
  test("a term only in old mentions is still found, newest first, page by page", async () => {
    const expected = await truth(`m.text like '%闪退%'`);
    expect(expected).toHaveLength(3);
    const { ids, pages } = await everyPage(`q=${encodeURIComponent("闪退")}`, 2);
    expect(ids).toEqual(expected);
    expect(pages).toBe(2);
  });

  test("a common term gives the same pages as the full-text index would, with an app filter too", async () => {
    const all = await truth(`m.text like '%卡顿%'`);
    expect(all.length).toBeGreaterThan(60);
    expect((await everyPage(`q=${encodeURIComponent("卡顿")}`, 20)).ids).toEqual(all);
    const inApp = await truth(`m.text like '%卡顿%' and substr(m.external_id, 2)::int % 2 = 0`);
    expect((await everyPage(`q=${encodeURIComponent("卡顿")}&app=${encodeURIComponent("喵记")}`, 20)).ids).toEqual(inApp);
  });

  test("a rare term is answered per app by the index: each app gets only its own rows", async () => {
    const inApp = await truth(`m.text like '%闪退%' and substr(m.external_id, 2)::int % 2 = 0`);
    const elsewhere = await truth(`m.text like '%闪退%' and substr(m.external_id, 2)::int % 2 = 1`);
    expect(inApp.length + elsewhere.length).toBe(3);
    expect(inApp.length * elsewhere.length).toBeGreaterThan(0);
    expect((await everyPage(`q=${encodeURIComponent("闪退")}&app=${encodeURIComponent("喵记")}`, 5)).ids).toEqual(inApp);
  });

  test("English words in old mentions are found by their index keys, as typed: long words by their first letters, short ones as prefixes", async () => {
    const old = await truth(`m.text like '%Crashes%'`);
    expect(old).toHaveLength(3);
    for (const q of ["crashes", "CRASH", "crashe", "cras", "launch", "laun", "on"]) {
      expect((await everyPage(`q=${encodeURIComponent(q)}`, 5)).ids, q).toEqual(old);
    }
    // Same index key as crashes, not the same word: the recheck drops them.
    expect((await everyPage("q=crashed", 5)).ids).toEqual([]);
    expect((await everyPage("q=launched", 5)).ids).toEqual([]);
    const inApp = await truth(`m.text like '%Crashes%' and substr(m.external_id, 2)::int % 2 = 0`);
    expect((await everyPage(`q=crashes%20launch&app=${encodeURIComponent("喵记")}`, 5)).ids).toEqual(inApp);
  });

});
