/**
 * Ingest benchmark: the store stage and the whole pipeline against the raw Postgres limit.
 *
 *   npm run bench [-- --count 200000]
 *
 * 1. COPY of the generated rows into an unlogged table without indexes: the ceiling.
 * 1b. The schema's floor: the same rows COPYed into a staging table, then written to `mentions`
 *     with its indexes by one INSERT … SELECT, with no deduplication, matches or alerts: the most
 *     any store design keeping this table and its indexes can reach.
 * 2. The store stage alone (dedup, upsert, matches, alert stage) on pre-scored mentions.
 * 3. Scoring alone.
 * 4. The whole pipeline (normalise, score, dedup, store, alert stage), one process, a few pages
 *    in flight as a worker with concurrency runs them.
 * Besides rates, the CPU each side (this process, the Postgres backends) spent per mention, and the
 * load average, since a shared machine moves the rates.
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { noAlerts } from "../src/alerts/stage.ts";
import { openDatabase, type Sql } from "../src/db/client.ts";
import { storeMentionPage, type MentionToStore } from "../src/db/repo/mentions.ts";
import { createWatchlist, upsertApp } from "../src/db/repo/watchlists.ts";
import { scoreTexts } from "../src/nlp/index.ts";
import { processPage, type MatchedItem } from "../src/pipeline/index.ts";
import { normaliseMention } from "../src/pipeline/normalise.ts";
import { seededRandom } from "../src/random.ts";
import type { RawMention } from "../src/sources/types.ts";
import { report, scratchDatabase, timed, type Figure } from "./lib.ts";

const { values } = parseArgs({ options: { count: { type: "string", default: "200000" }, page: { type: "string", default: "500" } } });
const COUNT = Number(values.count);
const PAGE = Number(values.page);
const IN_FLIGHT = 4;
const DEDUP_MIN_CHARS = 12;

const zhOpen = ["更新之后", "最近", "今天", "从上周开始", "换了新手机以后", "刚下载", "用了三年了", "每次打开"];
const zhIssue = ["一直闪退", "卡得要命", "登录不上", "扣了我两次钱", "开屏广告关不掉", "消息收不到", "白屏", "很好用", "界面很清爽", "客服回复很快"];
const zhTail = ["希望尽快修复", "已经反馈了", "太失望了", "推荐大家用", "还在观望", "朋友也一样", "求官方回复", "先卸载了"];
const enOpen = ["Since the update", "Lately", "Today", "Ever since last week", "On my new phone", "Right after install", "After three years", "Every time I open it"];
const enIssue = ["it crashes", "it lags badly", "I can't log in", "I was charged twice", "ads pop up everywhere", "messages don't arrive", "the screen goes blank", "it works great", "the design is clean", "support answered fast"];
const enTail = ["please fix it", "reported it already", "so disappointed", "highly recommend", "still waiting", "my friends too", "any update?", "uninstalling for now"];
const sources = ["weibo", "tieba", "appstore", "googleplay"];

/** Realistic shapes: mixed zh/en, 20 % repeats of an item already seen, 5 % reposts of another text. */
function generate(count: number): { raw: RawMention; source: string; keywords: string[] }[] {
  const rnd = seededRandom(42);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const out: { raw: RawMention; source: string; keywords: string[] }[] = [];
  for (let i = 0; i < count; i++) {
    const roll = rnd();
    if (roll < 0.2 && out.length > 0) {
      const seen = out[Math.floor(rnd() * out.length)]!;
      out.push({ ...seen, keywords: [pick(["闪退", "卡顿", "crash", "login"])] });
      continue;
    }
    const source = pick(sources);
    let text: string;
    if (roll < 0.25 && out.length > 0) {
      text = `//@user${i % 977}: ${out[Math.floor(rnd() * out.length)]!.raw.text}`;
    } else if (rnd() < 0.6) {
      text = `${pick(zhOpen)}${pick(zhIssue)}，${pick(zhTail)}。订单号${Math.floor(rnd() * 1e8)}，版本${1 + (i % 9)}.${i % 7}`;
    } else {
      text = `${pick(enOpen)} ${pick(enIssue)}, ${pick(enTail)}. Ticket #${Math.floor(rnd() * 1e8)} on v${1 + (i % 9)}.${i % 7}`;
    }
    out.push({
      source,
      keywords: [pick(["闪退", "卡顿", "crash", "login"])],
      raw: {
        externalId: `${source}-${i}`,
        url: `https://example.com/${source}/${i}`,
        author: `user${i % 5003}`,
        title: source === "tieba" ? text.slice(0, 12) : null,
        text,
        publishedAt: new Date(Date.UTC(2026, 10, 1) + i * 1000),
        rating: source === "appstore" || source === "googleplay" ? 1 + Math.floor(rnd() * 5) : null,
      },
    });
  }
  return out;
}

/**
 * CPU time (ms) of the Postgres backends serving a database, read from /proc when the server runs
 * on this machine (NaN otherwise): wall-clock rates on a shared machine follow the load, the CPU
 * each side spends per mention does not.
 */
async function backendCpuMs(sql: Sql, database: string): Promise<number> {
  const pids = await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${database}`;
  let ticks = 0;
  try {
    for (const { pid } of pids) {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    }
  } catch {
    return Number.NaN;
  }
  return ticks * 10;
}

function copyField(v: string | null): string {
  return v == null ? "\\N" : v.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n");
}

async function copyLines(sql: Sql, table: string, lines: readonly string[]): Promise<void> {
  const stream = await sql`copy ${sql(table)} from stdin`.writable();
  for (const chunk of pages(lines, 5000)) {
    if (!stream.write(`${chunk.join("\n")}\n`)) await new Promise((r) => stream.once("drain", r));
  }
  await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

function nodeCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function pages<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** Runs fn over the items with at most `limit` in flight. */
async function inFlight<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function main(): Promise<void> {
  const items = generate(COUNT);
  const figures: Figure[] = [
    { figure: "ingest_mentions", value: COUNT, unit: "mentions" },
    { figure: "load_average_1m_at_start", value: loadavg()[0]! },
  ];

  // 1. COPY ceiling.
  const copyDb = await scratchDatabase("copy");
  try {
    const { sql, close } = openDatabase(copyDb.url, { max: 2 });
    await sql`create unlogged table copy_target (source text, external_id text, url text, author text, title text, text text, published_at timestamptz, fingerprint text)`;
    const lines = items.map(({ raw, source }) =>
      [source, raw.externalId, raw.url, raw.author, raw.title, raw.text, raw.publishedAt!.toISOString(), "x".repeat(32)].map((v) => copyField(v)).join("\t"),
    );
    const copy = await timed(() => copyLines(sql, "copy_target", lines));
    figures.push({ figure: "copy_ms", value: copy.ms, unit: "ms" }, { figure: "copy_rows_per_s", value: COUNT / (copy.ms / 1000), unit: "rows/s" });
    await close();
  } finally {
    await copyDb.drop();
  }

  // 3. Scoring alone (also gives the pre-scored input of the store stage).
  const normalised = items.map((it) => ({ ...it, m: normaliseMention(it.source, it.raw, DEDUP_MIN_CHARS) }));
  const scoringCpu = nodeCpuMs();
  const scoring = await timed(() => {
    const all = [];
    for (const page of pages(normalised, PAGE)) all.push(...scoreTexts(page.map(({ m }) => ({ text: m.text, rating: m.rating }))));
    return all;
  });
  figures.push(
    { figure: "scoring_mentions_per_s", value: COUNT / (scoring.ms / 1000), unit: "mentions/s" },
    { figure: "scoring_cpu_us_per_mention", value: ((nodeCpuMs() - scoringCpu) * 1000) / COUNT, unit: "µs" },
  );

  // 1b. The schema's floor.
  const floorDb = await scratchDatabase("floor");
  try {
    const { sql, close } = openDatabase(floorDb.url, { max: 2 });
    const [app] = await sql<{ id: number }[]>`insert into apps (name) values ('bench') returning id`;
    await sql`create unlogged table staged (source text, external_id text, url text, author text, title text, text text, language text,
      published_at timestamptz, rating int2, sentiment_score float4, sentiment_label text, complaint bool, complaint_category text,
      fingerprint text, simhash int8, sim_bands int[], search_terms text[])`;
    const lines = normalised.map(({ m }, i) => {
      const score = scoring.value[i]!;
      return [m.source, m.externalId, m.url, m.author, m.title, m.text, score.lang, m.publishedAt?.toISOString() ?? null, m.rating?.toString() ?? null,
        String(score.score), score.label, String(score.complaint), score.category, m.fingerprint, m.simhash.toString(),
        `{${m.simBands.join(",")}}`, `{${m.searchTerms.map((t) => `"${t}"`).join(",")}}`].map((v) => copyField(v)).join("\t");
    });
    const staged = await timed(async () => {
      await copyLines(sql, "staged", lines);
      await sql`
        insert into mentions (source, external_id, url, author, title, text, language, published_at, rating, sentiment_score, sentiment_label,
          complaint, complaint_category, fingerprint, simhash, sim_bands, search_terms, app_ids)
        select source, external_id, url, author, title, text, language, published_at, rating, sentiment_score, sentiment_label,
          complaint, complaint_category, fingerprint, simhash, sim_bands, array_to_tsvector(search_terms), array[${app!.id}::int]
        from staged
        on conflict (source, external_id) do nothing`;
    });
    const copyMs = figures.find((f) => f.figure === "copy_ms")!.value;
    figures.push(
      { figure: "staged_insert_mentions_per_s", value: COUNT / (staged.ms / 1000), unit: "mentions/s" },
      { figure: "staged_insert_vs_copy_ratio", value: copyMs / staged.ms },
    );
    await close();
  } finally {
    await floorDb.drop();
  }

  // 2. The store stage alone.
  const storeDb = await scratchDatabase("store");
  try {
    const database = openDatabase(storeDb.url, { max: IN_FLIGHT + 1 });
    const app = await upsertApp(database.db, { name: "bench" });
    const w = await createWatchlist(database.db, { appId: app.id, keywords: ["闪退", "卡顿", "crash", "login"], sources, intervalSec: 900, by: "bench" });
    const prepared: MentionToStore[] = normalised.map(({ m, keywords }, i) => ({ ...m, score: scoring.value[i]!, keywords }));
    // One source per page, as a crawl page is.
    const bySource = sources.flatMap((s) => pages(prepared.filter((p) => p.source === s), PAGE));
    let stored = 0;
    let duplicates = 0;
    await Promise.all(Array.from({ length: IN_FLIGHT }, () => database.sql`select 1`)); // open the pool first
    const storeDbName = new URL(storeDb.url).pathname.slice(1);
    const [pgBefore, nodeBefore] = [await backendCpuMs(database.sql, storeDbName), nodeCpuMs()];
    const store = await timed(() =>
      inFlight(bySource, IN_FLIGHT, async (page) => {
        const r = await storeMentionPage(database.sql, w.id, page, noAlerts);
        stored += r.inserted.length;
        duplicates += r.duplicates;
      }),
    );
    figures.push(
      { figure: "store_ms", value: store.ms, unit: "ms" },
      { figure: "store_mentions_per_s", value: COUNT / (store.ms / 1000), unit: "mentions/s" },
      { figure: "store_new_rows", value: stored, unit: "rows" },
      { figure: "store_duplicates_marked", value: duplicates, unit: "rows" },
      { figure: "store_postgres_cpu_us_per_mention", value: (((await backendCpuMs(database.sql, storeDbName)) - pgBefore) * 1000) / COUNT, unit: "µs" },
      { figure: "store_worker_cpu_us_per_mention", value: ((nodeCpuMs() - nodeBefore) * 1000) / COUNT, unit: "µs" },
    );
    const copyMs = figures.find((f) => f.figure === "copy_ms")!.value;
    figures.push({ figure: "store_vs_copy_ratio", value: copyMs / store.ms });
    await database.close();
  } finally {
    await storeDb.drop();
  }

  // 4. The whole pipeline.
  const pipeDb = await scratchDatabase("pipeline");
  try {
    const database = openDatabase(pipeDb.url, { max: IN_FLIGHT + 1 });
    const app = await upsertApp(database.db, { name: "bench" });
    const w = await createWatchlist(database.db, { appId: app.id, keywords: ["闪退", "卡顿", "crash", "login"], sources, intervalSec: 900, by: "bench" });
    const bySource = sources.flatMap((s) => pages(items.filter((p) => p.source === s), PAGE));
    const deps = { sql: database.sql, alertStage: noAlerts, dedupMinChars: DEDUP_MIN_CHARS };
    await Promise.all(Array.from({ length: IN_FLIGHT }, () => database.sql`select 1`));
    const pipeDbName = new URL(pipeDb.url).pathname.slice(1);
    const [pgBefore, nodeBefore] = [await backendCpuMs(database.sql, pipeDbName), nodeCpuMs()];
    const pipeline = await timed(() =>
      inFlight(bySource, IN_FLIGHT, (page) =>
        processPage(deps, { source: page[0]!.source, watchlistId: w.id, items: page.map<MatchedItem>((p) => ({ raw: p.raw, keywords: p.keywords })) }),
      ),
    );
    const rate = COUNT / (pipeline.ms / 1000);
    figures.push(
      { figure: "pipeline_mentions_per_s", value: rate, unit: "mentions/s" },
      { figure: "pipeline_vs_scoring_ratio", value: rate / figures.find((f) => f.figure === "scoring_mentions_per_s")!.value },
      { figure: "pipeline_postgres_cpu_us_per_mention", value: (((await backendCpuMs(database.sql, pipeDbName)) - pgBefore) * 1000) / COUNT, unit: "µs" },
      { figure: "pipeline_worker_cpu_us_per_mention", value: ((nodeCpuMs() - nodeBefore) * 1000) / COUNT, unit: "µs" },
    );
    await database.close();
  } finally {
    await pipeDb.drop();
  }

  figures.push({ figure: "load_average_1m_at_end", value: loadavg()[0]! });
  report(`Ingest of ${COUNT} mentions, pages of ${PAGE}, ${IN_FLIGHT} pages in flight`, figures);
}

await main();
