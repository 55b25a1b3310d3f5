import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApiTestEnv, type ApiTestEnv } from "./support.ts";
import { seedMentions, seedWatchlist } from "./seed.ts";

let env: ApiTestEnv;
let ids: Record<string, number> = {};
let meow: { appId: number; watchlistId: number };
let run: { appId: number; watchlistId: number };

beforeAll(async () => {
  env = await createApiTestEnv({ dashboard: false, bullBoard: false });
  meow = await seedWatchlist(env.database.sql, "喵记", ["appstore"], []);
  run = await seedWatchlist(env.database.sql, "快跑", ["weibo"], ["卡顿"]);
  const [crash, lag, xss, happy, english, dup, old, formula] = await seedMentions(env.database.sql, meow.watchlistId, [
    { text: "一打开就闪退了，气死", rating: 1, sentimentLabel: "negative", sentimentScore: -0.9, complaint: true, complaintCategory: "crash", language: "zh", appVersion: "3.1.0", publishedAt: "2024-05-03T10:00:00Z" },
    { text: "最近很卡，滑动掉帧", rating: 2, sentimentLabel: "negative", sentimentScore: -0.5, complaint: true, complaintCategory: "performance", language: "zh", appVersion: "3.1.0", publishedAt: "2024-05-02T10:00:00Z" },
    { text: "<img src=x onerror=alert(1)>", rating: 3, sentimentLabel: "neutral", sentimentScore: 0, language: "en", publishedAt: "2024-05-02T09:00:00Z" },
    { text: "很好用，界面漂亮", rating: 5, sentimentLabel: "positive", sentimentScore: 0.8, complaint: false, language: "zh", appVersion: "3.2.0", publishedAt: "2024-05-01T10:00:00Z" },
    { title: "Crashes on launch", text: "The app crashes every time since iOS 17", rating: 1, sentimentLabel: "negative", sentimentScore: -0.7, complaint: true, complaintCategory: "crash", language: "en", publishedAt: "2024-04-20T10:00:00Z" },
    { text: "一打开就闪退了，气死", rating: 1, sentimentLabel: "negative", sentimentScore: -0.9, complaint: true, complaintCategory: "crash", language: "zh", publishedAt: "2024-05-03T11:00:00Z" },
    { text: "老版本还行", rating: 4, sentimentLabel: "positive", sentimentScore: 0.3, language: "zh", publishedAt: "2023-01-01T00:00:00Z" },
    { text: "=HYPERLINK(\"http://evil\",\"click\")", rating: 3, language: "en", publishedAt: "2024-04-01T00:00:00Z" },
  ]);
  await env.database.sql`update mentions set duplicate_of = ${crash!} where id = ${dup!}`;
  const [weiboPost] = await seedMentions(env.database.sql, run.watchlistId, [
    { source: "weibo", text: "快跑又卡顿了 闪退", sentimentLabel: "negative", sentimentScore: -0.6, complaint: true, complaintCategory: "performance", language: "zh", keyword: "卡顿", publishedAt: "2024-05-01T12:00:00Z" },
  ]);
  ids = { crash: crash!, lag: lag!, xss: xss!, happy: happy!, english: english!, dup: dup!, old: old!, formula: formula!, weiboPost: weiboPost! };
});
afterAll(async () => {
  await env?.teardown();
});

async function search(query: string, role: "analyst" | "operator" = "analyst"): Promise<number[]> {
  const res = await env.call("GET", `/api/mentions?${query}`, { role });
  expect(res.status, res.text).toBe(200);
  return res.json.items.map((m: { id: number }) => m.id);
}

describe("full-text search", () => {
  test("闪退 finds 一打开就闪退了, in any app, without the repost of it", async () => {
    expect(await search(`q=${encodeURIComponent("闪退")}`)).toEqual([ids.crash, ids.weiboPost]);
  });

  test("a whole phrase must appear as typed, not just its characters", async () => {
    expect(await search(`q=${encodeURIComponent("打开就闪退")}`)).toEqual([ids.crash]);
    expect(await search(`q=${encodeURIComponent("闪退打开")}`)).toEqual([]);
  });

  test("a single Chinese character still finds the texts holding it", async () => {
    expect(await search(`q=${encodeURIComponent("卡")}`)).toEqual([ids.lag, ids.weiboPost]);
  });

  test("English words match case-insensitively as word prefixes, in the title too, and every word must appear", async () => {
    expect(await search("q=CRASH")).toEqual([ids.english]);
    expect(await search("q=launch%20ios")).toEqual([ids.english]);
    expect(await search("q=launch%20android")).toEqual([]);
    expect(await search("q=crashe")).toEqual([ids.english]);
    expect(await search("q=crashed")).toEqual([]);
  });

  test("LIKE wildcards in a query are searched for literally", async () => {
    expect(await search("q=%25")).toEqual([]);
    expect(await search("q=_")).toEqual([]);
  });
});

describe("filters", () => {
  test("each filter narrows the results to the mentions it describes", async () => {
    expect(await search("source=weibo")).toEqual([ids.weiboPost]);
    expect(await search(`app=${encodeURIComponent("快跑")}`)).toEqual([ids.weiboPost]);
    expect(await search(`watchlist=${run.watchlistId}&keyword=${encodeURIComponent("卡顿")}`)).toEqual([ids.weiboPost]);
    expect(await search("sentiment=positive")).toEqual([ids.happy, ids.old]);
    expect(await search("sentiment=negative&scoreMax=-0.8")).toEqual([ids.crash]);
    expect(await search("ratingMin=4")).toEqual([ids.happy, ids.old]);
    expect(await search("rating=2,3")).toEqual([ids.lag, ids.xss, ids.formula]);
    expect(await search("complaint=true&category=crash")).toEqual([ids.crash, ids.english]);
    expect(await search("language=en&complaint=false")).toEqual([ids.xss, ids.formula]);
    expect(await search("from=2024-05-02&to=2024-05-02")).toEqual([ids.lag, ids.xss]);
    expect(await search("from=2024-05-03T10:30:00Z&includeDuplicates=true")).toEqual([ids.dup]);
  });

  test("reposts are left out unless asked for", async () => {
    expect(await search(`q=${encodeURIComponent("闪退")}&app=${encodeURIComponent("喵记")}&includeDuplicates=true`)).toEqual([ids.dup, ids.crash]);
  });

  test("a result carries its app, keywords, scores and the text exactly as stored", async () => {
    const res = await env.call("GET", `/api/mentions/${ids.xss}`, { role: "operator" });
    expect(res.json).toMatchObject({ id: ids.xss, text: "<img src=x onerror=alert(1)>", apps: ["喵记"], rating: 3, sentimentLabel: "neutral" });
    const weibo = await env.call("GET", `/api/mentions/${ids.weiboPost}`, { role: "analyst" });
    expect(weibo.json).toMatchObject({ apps: ["快跑"], keywords: ["卡顿"], watchlistIds: [run.watchlistId], complaintCategory: "performance" });
  });

  test("bad filters are refused with the field and the problem named", async () => {
    const cases: [string, string, RegExp][] = [
      ["sentiment=angry", "sentiment", /negative, neutral, positive/],
      ["rating=6", "rating", /1 to 5/],
      ["from=yesterday", "from", /date/],
      ["scoreMin=2", "scoreMin", /between -1 and 1/],
      ["limit=100000", "limit", /at most 500/],
      ["colour=red", "body", /unknown field\(s\) "colour"/],
      ["app=nope", "app", /no app is named "nope"/],
      ["cursor=abc", "cursor", /not a cursor/],
    ];
    for (const [query, field, message] of cases) {
      const res = await env.call("GET", `/api/mentions?${query}`, { role: "analyst" });
      expect(res.status, query).toBe(400);
      expect(res.json.field, query).toBe(field);
      expect(res.json.message, query).toMatch(message);
    }
  });
});

describe("keyset pagination", () => {
  test("pages follow each other without gaps or repeats, newest first, even when dates tie", async () => {
    const page = await seedWatchlist(env.database.sql, "分页", ["appstore"]);
    const same = "2024-06-01T00:00:00Z";
    const many = await seedMentions(env.database.sql, page.watchlistId, Array.from({ length: 125 }, (_, i) => ({ text: `第${i}条评论`, publishedAt: i % 5 === 0 ? same : new Date(Date.UTC(2024, 5, 2, 0, i)).toISOString() })));
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await env.call("GET", `/api/mentions?app=${encodeURIComponent("分页")}&limit=50${cursor ? `&cursor=${cursor}` : ""}`, { role: "analyst" });
      expect(res.status).toBe(200);
      seen.push(...res.json.items.map((m: { id: number }) => m.id));
      cursor = res.json.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(125);
    expect([...seen].sort((a, b) => a - b)).toEqual([...many].sort((a, b) => a - b));
    const rows = await env.database.sql<{ id: string }[]>`
      select id from mentions where id = any(${many}::int8[]) order by published_at desc, id desc`;
    expect(seen).toEqual(rows.map((r) => Number(r.id)));
  });
});

describe("export", () => {
  test("CSV export streams every match with a header, quotes text and defuses formulas", async () => {
    const res = await env.call("GET", `/api/mentions/export?format=csv&app=${encodeURIComponent("喵记")}`, { role: "analyst" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    expect(res.headers.get("content-disposition")).toMatch(/attachment; filename="mentions-\d{4}-\d{2}-\d{2}\.csv"/);
    const lines = res.text.replace(/^\uFEFF/, "").trim().split("\r\n");
    expect(lines[0]).toBe("id,published_at,source,apps,rating,app_version,sentiment,sentiment_score,complaint,category,language,author,title,text,url,keywords,duplicate_of");
    expect(lines).toHaveLength(1 + 7);
    expect(res.text).toContain("一打开就闪退了，气死");
    expect(res.text).toContain(`"'=HYPERLINK(""http://evil"",""click"")"`);
  });

  test("JSON lines export gives one parsable object per mention, with the same filters as search", async () => {
    const res = await env.call("GET", `/api/mentions/export?format=jsonl&q=${encodeURIComponent("闪退")}`, { role: "admin" });
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    const rows = res.text.trim().split("\n").map((l) => JSON.parse(l));
    expect(rows.map((r) => r.id)).toEqual([ids.crash, ids.weiboPost]);
  });

  test("a bad export filter is refused before anything is streamed", async () => {
    const res = await env.call("GET", "/api/mentions/export?format=xml", { role: "analyst" });
    expect(res.status).toBe(400);
    expect(res.json.field).toBe("format");
  });
});

describe("aggregates and named queries", () => {
  test("volume per day is split by sentiment and counts originals only", async () => {
    const res = await env.call("GET", `/api/aggregates/volume?app=${encodeURIComponent("喵记")}&from=2024-05-01&to=2024-05-03`, { role: "analyst" });
    expect(res.json.buckets).toEqual([
      { bucket: "2024-05-01T00:00:00.000Z", negative: 0, neutral: 0, positive: 1, unscored: 0, total: 1 },
      { bucket: "2024-05-02T00:00:00.000Z", negative: 1, neutral: 1, positive: 0, unscored: 0, total: 2 },
      { bucket: "2024-05-03T00:00:00.000Z", negative: 1, neutral: 0, positive: 0, unscored: 0, total: 1 },
    ]);
  });

  test("categories, source share, ratings per version and top terms answer from the same filters", async () => {
    const cats = await env.call("GET", "/api/aggregates/categories?interval=week&from=2024-04-01", { role: "analyst" });
    expect(cats.json.rows.reduce((a: number, r: { count: number }) => a + r.count, 0)).toBe(4);
    const share = await env.call("GET", "/api/aggregates/sources?from=2024-04-01", { role: "operator" });
    expect(share.json.sources.find((s: { source: string }) => s.source === "weibo")).toMatchObject({ count: 1 });
    const ratings = await env.call("GET", `/api/aggregates/ratings?app=${encodeURIComponent("喵记")}`, { role: "analyst" });
    expect(ratings.json.find((r: { version: string }) => r.version === "3.1.0")).toMatchObject({ app: "喵记", average: 1.5, count: 2 });
    const terms = await env.call("GET", "/api/aggregates/terms?complaint=true", { role: "analyst" });
    expect(terms.json.terms.map((t: { term: string }) => t.term)).toContain("闪退");
  });

  test("a named query runs over HTTP with typed parameters, and a bad parameter is named", async () => {
    const list = await env.call("GET", "/api/queries", { role: "analyst" });
    expect(list.json.map((q: { name: string }) => q.name)).toEqual(
      expect.arrayContaining(["mentions-over-time", "top-complaint-categories", "worst-rated-versions", "new-complaint-terms", "alert-response-times"]),
    );
    const worst = await env.call("GET", `/api/queries/worst-rated-versions?minReviews=1&app=${encodeURIComponent("喵记")}`, { role: "analyst" });
    expect(worst.status).toBe(200);
    expect(worst.json.rows[0]).toMatchObject({ app: "喵记", version: "3.1.0", average_rating: 1.5, reviews: 2 });
    const bad = await env.call("GET", "/api/queries/worst-rated-versions?minReviews=many", { role: "analyst" });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ field: "minReviews" });
    expect((await env.call("GET", "/api/queries/nope", { role: "analyst" })).status).toBe(404);
    const csv = await env.call("GET", "/api/queries/alert-response-times?format=csv", { role: "analyst" });
    expect(csv.text.replace(/^\uFEFF/, "").split("\r\n")[0]).toMatch(/^severity,kind,alerts,/);
  });
});
