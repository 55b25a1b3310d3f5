import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { describeReceived, seedDemoAlerts, settleDeliveries, startDemoReceiver } from "../alerts/demo.ts";
import { crawlNow } from "../cli/crawl-now.ts";
import { formatTable } from "../cli/table.ts";
import { loadConfig, sourceEnvKey } from "../config.ts";
import { upsertForum, type ForumInput } from "../db/repo/forums.ts";
import { createWatchlist, findSameWatchlist, listWatchlists, updateWatchlist, upsertApp, type AppInput } from "../db/repo/watchlists.ts";
import { closeSharedBrowser, findChromium } from "../fetch/browser.ts";
import type { Db } from "../db/client.ts";
import { startSandbox } from "../sandbox/server.ts";
import { sourceIds } from "../sources/index.ts";
import type { Config } from "../config.ts";
import { startWorker, type RunningWorker } from "../worker.ts";
import { providePostgres, provideRedis, type Provided } from "./infrastructure.ts";

/** What the demo watches: apps of the sandbox, by name (resolved through search) and by id. */
const demoWatchlists: { app: AppInput; keywords: string[]; sources: string[]; intervalSec: number; forums?: string[] }[] = [
  {
    app: { name: "喵记", aliases: ["MeowNote"], appstoreCountries: ["cn", "us"], playPackage: "com.example.meownote", playLangs: ["en-us", "zh-tw"], taptapId: "210001", taptapRegion: "cn" },
    keywords: ["闪退", "卡顿", "crash"],
    sources: ["appstore", "googleplay", "taptap"],
    intervalSec: 900,
  },
  { app: { name: "快跑", aliases: ["QuickRun"], appstoreId: "1500000002", appstoreCountries: ["us", "jp"], taptapId: "210002", taptapRegion: "intl" }, keywords: [], sources: ["appstore", "taptap"], intervalSec: 1800 },
  // Weibo, a Tieba search and the app's own 吧, a Discourse forum and a configured forum.
  { app: { name: "喵记" }, keywords: ["闪退", "卡顿"], sources: ["weibo", "tieba", "discourse", "forum"], intervalSec: 900, forums: ["喵记", "喵记社区", "喵友社区"] },
  // A forum that builds its results with JavaScript: crawled in the browser (skipped without Chromium).
  { app: { name: "快跑" }, keywords: ["闪退"], sources: ["forum"], intervalSec: 1800, forums: ["QuickRun Community"] },
];

/** The forums of the demo watchlists, on the sandbox at `base`. */
function demoForums(base: string): ForumInput[] {
  const post = { item: "li.result-item", title: "h3.result-title a", link: "h3.result-title a", text: ".result-summary", author: ".result-author", date: ".result-date", next: "a.nxt" };
  const card = { item: "article.post-card", title: ".post-title a", link: ".post-title a", text: ".post-body", author: ".post-user", date: "time.post-time", next: "a.next-page" };
  return [
    { kind: "tieba", name: "喵记", baseUrl: `${base}/f?kw=%E5%96%B5%E8%AE%B0` },
    { kind: "discourse", name: "喵记社区", baseUrl: `${base}/discourse` },
    { kind: "forum", name: "喵友社区", baseUrl: `${base}/forum`, config: { searchUrl: `${base}/forum/search.php?keyword={query}&page={page}`, selectors: post, dateFormat: "YYYY-MM-DD HH:mm", timeZone: "Asia/Shanghai" } },
    { kind: "forum", name: "QuickRun Community", baseUrl: `${base}/forum-js`, config: { searchUrl: `${base}/forum-js/search?q={query}&page={page}`, selectors: card, dateFormat: "DD/MM/YYYY HH:mm", timeZone: "Asia/Shanghai", render: true } },
  ];
}

const DEMO_SANDBOX_PORT = 47613;

export interface DemoTotals {
  mentions: number;
  new: number;
  duplicates: number;
  alerts: number;
}

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

export async function runDemo(options: { json: boolean; serve?: { port: number; host?: string } }): Promise<DemoTotals> {
  const base = loadConfig();
  const dataDir = base.dataDir ?? join(projectRoot, ".data");
  const say = (line: string) => console.error(line);
  const provided: Provided[] = [];
  try {
    const pg = await providePostgres(base.databaseUrl, dataDir);
    provided.push(pg);
    say(`database: ${pg.description}`);
    const redis = await provideRedis(base.redisUrl, dataDir);
    provided.push(redis);
    say(`queue:    ${redis.description}`);
    // A fixed port when it is free: forum posts are identified by their URLs, which hold the port,
    // so a second run on the same port finds the same posts.
    const sandbox = await startSandbox({ port: DEMO_SANDBOX_PORT }).catch(() => startSandbox());
    provided.push({ url: sandbox.url, description: "", stop: () => sandbox.close() });
    say(`sites:    the local sandbox at ${sandbox.url} (recorded formats of the real sites)`);

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: pg.url,
      REDIS_URL: redis.url,
      EARSHOT_QUEUE_PREFIX: `${base.queuePrefix}-demo`,
      EARSHOT_SANDBOX_URL: sandbox.url,
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
      ...pg.env,
    };
    // The sandbox is local: no need to space requests out as on the real sites.
    for (const id of sourceIds()) env[`EARSHOT_POLITENESS_${sourceEnvKey(id)}`] ??= "8/0";
    // Every site is the sandbox in the demo, whatever the shell points them at.
    for (const name of Object.keys(env)) if (/^EARSHOT_\w+_URL$/.test(name) && name !== "EARSHOT_SANDBOX_URL") delete env[name];
    const withBrowser = findChromium(base.browser.chromiumPath) !== null;
    if (!withBrowser) {
      say("browser:  Chromium is not installed (apt-get install -y chromium): Weibo uses a demo account cookie instead of visitor cookies, and the browser-rendered forum is skipped");
      env.EARSHOT_COOKIE_WEIBO = "SUB=_2Ademo-account; SUBP=demo";
    }
    const config = loadConfig(env);

    const worker = await startWorker(config, { reconcile: false });
    provided.unshift({ url: "", description: "", stop: () => worker.close() });
    provided.unshift({ url: "", description: "", stop: () => closeSharedBrowser() });
    const { db } = worker.database;
    await seed(db, sandbox.url, withBrowser);
    const receiver = await startDemoReceiver();
    provided.push({ url: receiver.url, description: "", stop: () => receiver.close() });
    await seedDemoAlerts(worker.database.sql, receiver);

    const requests = (await listWatchlists(db, { enabledOnly: true })).flatMap((w) =>
      w.sources.map((source) => ({ watchlistId: w.id, source })),
    );
    say(`crawling ${requests.length} (watchlist, source) pairs through the crawl queue…`);
    const results = await crawlNow(config, requests, { trigger: "demo", worker });

    const bySource = new Map<string, { runs: number; requests: number; found: number; new: number; duplicates: number; alerts: number; failed: string[] }>();
    for (const r of results) {
      const s = bySource.get(r.source) ?? { runs: 0, requests: 0, found: 0, new: 0, duplicates: 0, alerts: 0, failed: [] };
      s.runs++;
      if (r.result) {
        s.requests += r.result.requests;
        s.found += r.result.seen;
        s.new += r.result.new;
        s.duplicates += r.result.duplicates;
        s.alerts += r.result.alerts;
        if (r.result.status !== "ok") s.failed.push(`${r.result.status}: ${r.result.message ?? ""}`);
      } else {
        s.failed.push(r.error ?? "failed");
      }
      bySource.set(r.source, s);
    }
    const sentiment = await sentimentBySource(db);

    console.log(
      formatTable(
        ["source", "runs", "requests", "found", "new", "duplicates", "negative", "neutral", "positive", "complaints", "top complaint categories"],
        [...bySource].map(([source, s]) => {
          const st = sentiment.get(source);
          return [source, s.runs, s.requests, s.found, s.new, s.duplicates, st?.negative ?? "—", st?.neutral ?? "—", st?.positive ?? "—", st?.complaints ?? "—", st?.top || "—"];
        }),
      ),
    );
    for (const [source, s] of bySource) for (const f of s.failed) say(`${source}: ${f}`);
    const undelivered = await settleDeliveries(worker.database.sql);
    for (const line of describeReceived(receiver)) say(line);
    if (undelivered) say(`  ${undelivered} deliveries are still queued; a worker sends them later (earshot alerts list)`);
    const totals: DemoTotals = {
      mentions: await countMentions(db),
      new: sum([...bySource.values()].map((s) => s.new)),
      duplicates: sum([...bySource.values()].map((s) => s.duplicates)),
      alerts: sum([...bySource.values()].map((s) => s.alerts)),
    };
    if ([...sentiment.values()].every((s) => s.scored === 0)) say("sentiment: no model loaded, so scores stay empty (—)");
    say(`\n${totals.mentions} mentions stored in all; ${totals.new} new this run, ${totals.duplicates} of them reposts of an earlier text; ${totals.alerts} alerts.`);
    say("Run `npm run demo` again: nothing is new, and each feed costs one request.");
    if (options.json) console.log(JSON.stringify(totals));
    if ([...bySource.values()].some((s) => s.failed.length)) process.exitCode = 1;
    if (options.serve) await serveDemo(config, worker, options.serve, say);
    return totals;
  } finally {
    for (const p of provided) await p.stop().catch(() => {});
  }
}

async function seed(db: Db, sandboxUrl: string, withBrowser: boolean): Promise<void> {
  // Forums follow the sandbox's port, which changes from run to run.
  const forumIds = new Map<string, number>();
  for (const f of demoForums(sandboxUrl)) forumIds.set(f.name, (await upsertForum(db, f)).id);
  for (const w of demoWatchlists) {
    const rendered = w.forums?.includes("QuickRun Community");
    const app = await upsertApp(db, w.app);
    const same = await findSameWatchlist(db, { appId: app.id, keywords: w.keywords, sources: w.sources });
    if (same) {
      if (rendered) await updateWatchlist(db, same.id, { enabled: withBrowser }, "demo");
      continue;
    }
    const ids = (w.forums ?? []).map((name) => forumIds.get(name)!);
    await createWatchlist(db, { appId: app.id, keywords: w.keywords, sources: w.sources, intervalSec: w.intervalSec, forumIds: ids, enabled: !rendered || withBrowser, by: "demo" });
  }
}

async function countMentions(db: Db): Promise<number> {
  const [row] = await db.execute<{ n: number }>(sql`select count(*)::int as n from mentions`);
  return row?.n ?? 0;
}

async function sentimentBySource(db: Db) {
  const rows = await db.execute<{
    source: string;
    scored: number;
    negative: number;
    neutral: number;
    positive: number;
    complaints: number;
    top: string | null;
  }>(sql`
    select m.source,
      count(m.sentiment_label)::int as scored,
      count(*) filter (where m.sentiment_label = 'negative')::int as negative,
      count(*) filter (where m.sentiment_label = 'neutral')::int as neutral,
      count(*) filter (where m.sentiment_label = 'positive')::int as positive,
      count(*) filter (where m.complaint)::int as complaints,
      (select string_agg(c.complaint_category || ' ' || c.n, ', ' order by c.n desc)
       from (select complaint_category, count(*) as n from mentions c2
             where c2.source = m.source and c2.complaint and c2.complaint_category is not null
             group by complaint_category order by count(*) desc limit 3) c) as top
    from mentions m group by m.source`);
  return new Map(rows.map((r) => [r.source, r.scored > 0 ? r : { ...r, negative: "—", neutral: "—", positive: "—", complaints: "—" }]));
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/**
 * `demo --serve`: keeps the API and dashboard running on the demo's data until Ctrl-C, and prints
 * the URL and an admin token to log in with.
 */
async function serveDemo(config: Readonly<Config>, worker: RunningWorker, serve: { port: number; host?: string }, say: (line: string) => void): Promise<void> {
  // The embedded Postgres serves one connection: the worker gives its pool up before the API opens one.
  await worker.close();
  const { startApiServer } = await import("../api/server.ts");
  const { createToken } = await import("../api/tokens.ts");
  const api = await startApiServer(config, { port: serve.port, ...(serve.host ? { host: serve.host } : {}) });
  try {
    const { token } = await createToken(api.database.db, { name: "demo", role: "admin", createdBy: "demo" });
    say(`
dashboard: ${api.url}   (API under ${api.url}/api, OpenAPI at ${api.url}/docs)`);
    say("log in with this admin token (Ctrl-C stops the demo):");
    console.log(token);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
  } finally {
    await api.close();
  }
}
