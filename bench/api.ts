/**
 * API bench: loads generated mentions (1,000,000 by default) into a scratch database with batched
 * INSERT … SELECT, then measures over HTTP p50/p95 of a filtered search and of a full-text search
 * (Chinese and English terms), and the memory of streaming a 100,000-row CSV export next to a
 * 10,000-row one: the live heap after a forced GC, sampled during the export, and RSS growth
 * (flat = about the same for both). Prints one JSON line per figure, then a table.
 *
 *   npm run bench:api [-- --rows 1000000 --keep]
 *   npm run bench:api -- --reuse DATABASE_URL    # measure again on a database kept by --keep
 */
import { searchTerms } from "../src/pipeline/search-terms.ts";
import { spawn } from "node:child_process";
import v8 from "node:v8";
import vm from "node:vm";
import { pino } from "pino";
import { createAlertStage } from "../src/alerts/outbox.ts";
import { buildApiServer } from "../src/api/server.ts";
import { createToken } from "../src/api/tokens.ts";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/client.ts";
import { crawlQueue, redisConnection } from "../src/queues.ts";
import { report, scratchDatabase, type Figure } from "./lib.ts";

const args = process.argv.slice(2);
const ROWS = args.includes("--rows") ? Number(args[args.indexOf("--rows") + 1]) : 1_000_000;
const BATCH = 100_000;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

const reuse = args.includes("--reuse") ? args[args.indexOf("--reuse") + 1]! : null;
const scratch = reuse ? { url: reuse, drop: async () => {} } : await scratchDatabase("api");
const figures: Figure[] = [];
const config = loadConfig({ ...process.env, DATABASE_URL: scratch.url, EARSHOT_QUEUE_PREFIX: `bench-api-${process.pid}`, LOG_LEVEL: "silent" });
const database = openDatabase(scratch.url, { max: 6 });
const sql = database.sql;
const redis = redisConnection(config.redisUrl);
const queue = crawlQueue(config, redis);
try {
  // ---- load ----
  if (!reuse) await load();
  async function load() {
    const t0 = performance.now();
    await sql`insert into apps (name, aliases) values ('喵记', '{MeowNote}'), ('快跑', '{QuickRun}')`;
    await sql`insert into watchlists (app_id, keywords, sources, interval_sec, created_by, updated_by)
              select a.id, '{闪退,卡顿}'::text[], '{weibo}'::text[], 900, 'bench', 'bench' from apps a
              union all select a.id, '{}'::text[], '{appstore}'::text[], 900, 'bench', 'bench' from apps a`;
    // Indexes are built once after the load: that is how a bulk import is done, and 10x faster.
    await sql`drop index mentions_search_app_idx`;
    await sql`drop index mentions_when_idx`;
    const phrases = [
      "一打开就闪退了，气死我了", "更新以后很卡，滑动掉帧", "登录不上去，验证码收不到", "广告太多了，开屏广告关不掉", "自动续费扣钱了，退款找不到入口",
      "界面很好看，用起来顺手", "希望增加夜间模式", "客服回复很快，点赞", "同步失败，数据丢了", "耗电太快，手机发烫",
      "crashes on launch since the last update", "love the new design, great job", "cannot log in, keeps asking for a code",
      "too many ads, please add a paid plan", "sync is broken and my notes are gone", "battery drain is terrible on iOS 17",
    ];
    // The lexemes the store stage would write for each phrase (the row number is added in SQL).
    const phraseVectors = phrases.map((p) => searchTerms(null, p).map((t) => `'${t}'`).join(" "));
    const cats = ["crash", "performance", "login", "ads", "billing", null, null, null, "sync", "battery", "crash", null, "login", "ads", "sync", "battery"];
    const labels = ["negative", "negative", "negative", "negative", "negative", "positive", "neutral", "positive", "negative", "negative", "negative", "positive", "negative", "negative", "negative", "negative"];
    for (let from = 1; from <= ROWS; from += BATCH) {
      const to = Math.min(ROWS, from + BATCH - 1);
      await sql`
        insert into mentions (source, external_id, url, author, text, language, published_at, fetched_at, rating, app_version,
          sentiment_label, sentiment_score, complaint, complaint_category, fingerprint, simhash, sim_bands, duplicate_of, search_terms, app_ids)
        select (array['weibo','appstore','googleplay','taptap','forum'])[1 + g % 5], 'b' || g, 'https://example.com/m/' || g, 'user' || (g % 50000),
               (${phrases}::text[])[1 + (g * 7) % 16] || ' #' || g,
               case when (g * 7) % 16 >= 10 then 'en' else 'zh' end,
               now() - make_interval(secs => ((g::bigint * 7919) % (90 * 86400))::int), now(),
               case when g % 5 in (1, 2, 3) then 1 + (g * 13) % 5 end,
               '3.' || (g % 7),
               (${labels}::text[])[1 + (g * 7) % 16], ((g * 31) % 200 - 100) / 100.0,
               (${cats}::text[])[1 + (g * 7) % 16] is not null, (${cats}::text[])[1 + (g * 7) % 16],
               md5(g::text), g, '{}', case when g % 10 = 0 and g > 10 then g - 5 end,
               ((${phraseVectors}::text[])[1 + (g * 7) % 16])::tsvector || array_to_tsvector(array[g::text]),
               -- the app its match below gives it, as the store writes it with the row
               array[(select array_agg(id order by id) from apps)[1 + g % 2]]
        from generate_series(${from}::int, ${to}::int) g`;
      await sql`
        insert into mention_matches (mention_id, watchlist_id, keyword)
        select m.id, w.id, case when w.sources = '{weibo}' then '闪退' else '' end
        from mentions m
        join watchlists w on w.app_id = (select id from apps order by id limit 1 offset (m.id % 2))
          and w.sources = case when m.source = 'weibo' then '{weibo}'::text[] else '{appstore}'::text[] end
        where m.id between ${from}::bigint and ${to}::bigint`;
      process.stderr.write(`\rloaded ${to} mentions`);
    }
    const tIdx = performance.now();
    await sql`set maintenance_work_mem = '256MB'`;
    await sql`create index mentions_when_idx on mentions ((coalesce(published_at, fetched_at)) desc, id desc)`;
    await sql`create index mentions_search_app_idx on mentions using gin (search_terms, app_ids)`;
    await sql`vacuum analyze mentions`;
    await sql`vacuum analyze mention_matches`;
    const loaded = performance.now();
    process.stderr.write(`\n`);
    figures.push({ figure: "load_mentions", value: ROWS, unit: "mentions" });
    figures.push({ figure: "load_seconds", value: (tIdx - t0) / 1000, unit: "s" });
    figures.push({ figure: "index_seconds", value: (loaded - tIdx) / 1000, unit: "s" });
  }

  // ---- serve ----
  const { app } = await buildApiServer(
    { config, database, queue, redis, alertStage: createAlertStage(), logger: pino({ level: "silent" }) },
    { rateLimitPerMinute: 1_000_000, dashboard: false, bullBoard: false },
  );
  const base = await app.listen({ port: 0, host: "127.0.0.1" });
  const { token } = await createToken(database.db, { name: "bench", role: "analyst", createdBy: "bench" });
  const get = async (path: string) => {
    const t = performance.now();
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body.slice(0, 200)}`);
    return performance.now() - t;
  };
  const day = (n: number) => new Date(Date.now() - n * 86400_000).toISOString().slice(0, 10);
  const enc = encodeURIComponent;

  const filtered: number[] = [];
  const filters = [
    (i: number) => `app=${enc("喵记")}&sentiment=negative&ratingMax=2&from=${day(30 + (i % 30))}`,
    (i: number) => `source=weibo,forum&complaint=true&category=crash&from=${day(10 + (i % 50))}`,
    (i: number) => `app=${enc("快跑")}&language=en&scoreMax=-0.5&to=${day(i % 60)}`,
    (i: number) => `rating=1,2&category=login,billing&includeDuplicates=true`,
  ];
  for (let i = 0; i < 8; i++) await get(`/api/mentions?${filters[i % 4]!(i)}`); // warm-up
  for (let i = 0; i < 80; i++) filtered.push(await get(`/api/mentions?limit=50&${filters[i % 4]!(i)}`));
  figures.push({ figure: "search_filtered_p50_ms", value: quantile(filtered, 0.5), unit: "ms" });
  figures.push({ figure: "search_filtered_p95_ms", value: quantile(filtered, 0.95), unit: "ms" });

  // Every other search is also filtered by app. The generator puts each phrase in one app only, so
  // "battery drain" and "ads" in 喵记 find nothing: the index must prove it (for "ads", a word
  // shorter than an index key, by a prefix lookup).
  const fts: number[] = [];
  const found: number[] = [];
  const none: number[] = [];
  const terms = ["闪退", "验证码", "开屏广告", "夜间模式", "crash", "battery drain", "同步失败", "退款", "ads"];
  for (let i = 0; i < terms.length; i++) await get(`/api/mentions?q=${enc(terms[i]!)}`);
  for (let i = 0; i < 80; i++) {
    const path = `/api/mentions?limit=50&q=${enc(terms[i % terms.length]!)}${i % 2 ? `&app=${enc("喵记")}` : ""}`;
    const t = performance.now();
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { items: unknown[] };
    const ms = performance.now() - t;
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    fts.push(ms);
    (body.items.length ? found : none).push(ms);
  }
  figures.push({ figure: "search_fulltext_p50_ms", value: quantile(fts, 0.5), unit: "ms" });
  figures.push({ figure: "search_p95_ms", value: quantile(fts, 0.95), unit: "ms" });
  if (found.length) figures.push({ figure: "search_fulltext_with_results_p95_ms", value: quantile(found, 0.95), unit: "ms" });
  if (none.length) {
    figures.push({ figure: "search_fulltext_no_results_searches", value: none.length, unit: "searches" });
    figures.push({ figure: "search_fulltext_no_results_p50_ms", value: quantile(none, 0.5), unit: "ms" });
  }

  const deep: number[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 40; i++) {
    const t = performance.now();
    const res: Response = await fetch(`${base}/api/mentions?limit=100&source=appstore${cursor ? `&cursor=${cursor}` : ""}`, { headers: { authorization: `Bearer ${token}` } });
    cursor = ((await res.json()) as { nextCursor: string | null }).nextCursor;
    deep.push(performance.now() - t);
  }
  figures.push({ figure: "search_keyset_page40_ms", value: deep.at(-1)!, unit: "ms" });

  // ---- export memory ----
  // The client is curl in a child process, so this process's memory is the server's alone. Every
  // 200 ms a full GC runs and the live heap is read: what the export holds, not garbage waiting.
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  const exportRun = async (limitDays: number, expectRows: number, sampleHeap = true) => {
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    const rss0 = process.memoryUsage().rss;
    let heapPeak = heap0;
    let rssPeak = rss0;
    const samples: number[] = [];
    const timer = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      if (!sampleHeap) return;
      gc();
      const heap = process.memoryUsage().heapUsed;
      samples.push(heap);
      heapPeak = Math.max(heapPeak, heap);
    }, 200);
    const t = performance.now();
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn("sh", ["-c", `curl -sS -H "authorization: Bearer ${token}" "${base}/api/mentions/export?format=csv&from=${day(limitDays)}&includeDuplicates=true" | wc -l`]);
      let text = "";
      child.stdout.on("data", (d: Buffer) => (text += d.toString()));
      child.on("error", reject);
      child.on("close", () => resolve(text));
    });
    clearInterval(timer);
    const lines = Number(out.trim());
    if (Math.abs(lines - 1 - expectRows) > expectRows * 0.4) throw new Error(`export gave ${lines - 1} rows, wanted about ${expectRows}`);
    const mb = (b: number) => b / 1048576;
    return {
      rows: lines - 1,
      seconds: (performance.now() - t) / 1000,
      samples: samples.length,
      heapPeakMb: mb(heapPeak - heap0),
      heapMedianMb: samples.length ? mb(quantile(samples, 0.5) - heap0) : 0,
      rssPeakMb: mb(rssPeak - rss0),
    };
  };
  const daysFor = (rows: number) => Math.max(1, Math.round((rows / ROWS) * 90));
  const small = await exportRun(daysFor(10_000), Math.round(ROWS * daysFor(10_000) / 90));
  const big = await exportRun(daysFor(100_000), Math.round(ROWS * daysFor(100_000) / 90));
  for (const [name, r] of [["export_small", small], ["export_100k", big]] as const) {
    figures.push({ figure: `${name}_rows`, value: r.rows, unit: "rows" });
    figures.push({ figure: `${name}_gc_samples`, value: r.samples, unit: "samples" });
    figures.push({ figure: `${name}_live_heap_growth_peak_mb`, value: r.heapPeakMb, unit: "MB" });
    figures.push({ figure: `${name}_live_heap_growth_median_mb`, value: r.heapMedianMb, unit: "MB" });
    figures.push({ figure: `${name}_rss_growth_peak_mb`, value: r.rssPeakMb, unit: "MB" });
  }
  // Once more without the forced GCs, which slow the export: its speed, and RSS left to V8's own GC.
  const plain = await exportRun(daysFor(100_000), Math.round(ROWS * daysFor(100_000) / 90), false);
  figures.push({ figure: "export_100k_rss_growth_peak_without_forced_gc_mb", value: plain.rssPeakMb, unit: "MB" });
  figures.push({ figure: "export_100k_rows_per_s", value: plain.rows / plain.seconds, unit: "rows/s" });
  await app.close();
} finally {
  await queue.close();
  redis.disconnect();
  await database.close();
  if (args.includes("--keep")) console.error(`kept: --reuse ${scratch.url}`);
  else await scratch.drop();
}
report("API bench", figures);
