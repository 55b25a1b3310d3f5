import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import postgres from "postgres";
import { migrateDatabase, quoteIdent } from "../src/db/client.ts";
import { formatTable } from "../src/cli/table.ts";
import type { Db } from "../src/db/client.ts";
import { upsertForum } from "../src/db/repo/forums.ts";
import { createWatchlist, upsertApp } from "../src/db/repo/watchlists.ts";
import type { Sandbox } from "../src/sandbox/server.ts";

/** What every benchmark shares: a scratch database, and figures printed as a table and JSON lines. */

export interface Figure {
  figure: string;
  value: number;
  unit?: string;
}

/** One JSON line per figure, then a readable table. */
export function report(title: string, figures: readonly Figure[]): void {
  for (const f of figures) console.log(JSON.stringify(f.unit ? f : { figure: f.figure, value: f.value }));
  console.error(`\n${title} (${cpus().length} cores, ${new Date().toISOString().slice(0, 10)})`);
  console.error(formatTable(["figure", "value", "unit"], figures.map((f) => [f.figure, round(f.value), f.unit ?? ""])));
}

export function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 1000) / 1000;
}

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A migrated database of its own on the server at DATABASE_URL, dropped at the end. */
export async function scratchDatabase(label: string): Promise<ScratchDatabase> {
  const base = new URL(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
  const name = `earshot_bench_${label}_${randomBytes(4).toString("hex")}`;
  const url = new URL(base);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  return {
    url: url.toString(),
    async drop() {
      const admin = new URL(base);
      admin.pathname = "/postgres";
      const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop database if exists ${quoteIdent(name)} with (force)`);
      await sql.end();
    },
  };
}

export async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/** The stores a sandbox watchlist takes in turn, and the search sources every one of them has. */
export const BENCH_STORES = ["appstore", "googleplay", "taptap"] as const;
export const BENCH_SOCIAL = ["weibo", "tieba", "discourse", "forum"] as const;
export type BenchStore = (typeof BENCH_STORES)[number];

export interface SandboxWatchlist {
  watchlistId: number;
  /** The app's name, which the sandbox's social sites talk about ("weibo:<name>" feeds). */
  name: string;
  store: BenchStore;
  /** The store's feed, as sandbox.grow names it. */
  storeFeed: string;
  /** The store, then the social sources. */
  sources: string[];
}

/**
 * `count` watchlists of apps of their own on the sandbox, each with feeds of its own: one store
 * in turn (an App Store storefront, a Google Play language, a TapTap list), Weibo, a Tieba search
 * and the app's 吧, a Discourse forum and a configured forum, searched for `keywords`.
 */
export async function seedSandboxWatchlists(
  db: Db,
  sandbox: Pick<Sandbox, "url" | "addApp">,
  options: { count: number; keywords: string[]; enabled?: boolean },
): Promise<SandboxWatchlist[]> {
  const discourseForum = await upsertForum(db, { kind: "discourse", name: "bench discourse", baseUrl: `${sandbox.url}/discourse` });
  const configuredForum = await upsertForum(db, {
    kind: "forum",
    name: "bench forum",
    baseUrl: `${sandbox.url}/forum`,
    config: {
      searchUrl: `${sandbox.url}/forum/search.php?keyword={query}&page={page}`,
      selectors: { item: "li.result-item", title: "h3.result-title a", link: "h3.result-title a", text: ".result-summary", author: ".result-author", date: ".result-date", next: "a.nxt" },
      dateFormat: "YYYY-MM-DD HH:mm",
      timeZone: "Asia/Shanghai",
    },
  });
  const out: SandboxWatchlist[] = [];
  const letters = "abcdefghijklmnopqrstuvwxyz";
  for (let i = 0; i < options.count; i++) {
    const store = BENCH_STORES[i % 3]!;
    const name = `声呐${i}`;
    sandbox.addApp(name);
    const cc = letters[Math.floor(i / 26) % 26]! + letters[i % 26]!;
    const trackId = i % 2 ? "1500000001" : "1500000002";
    const region = i % 2 ? "cn" : "intl";
    const app = await upsertApp(db, {
      name,
      ...(store === "appstore" ? { appstoreId: trackId, appstoreCountries: [cc] } : {}),
      ...(store === "googleplay" ? { playPackage: `com.bench.app${i}`, playLangs: ["en-us"] } : {}),
      ...(store === "taptap" ? { taptapId: String(300_000 + i), taptapRegion: region } : {}),
    });
    const bar = await upsertForum(db, { kind: "tieba", name, baseUrl: `${sandbox.url}/f?kw=${encodeURIComponent(name)}` });
    const sources = [store, ...BENCH_SOCIAL];
    const w = await createWatchlist(db, {
      appId: app.id,
      keywords: options.keywords,
      sources,
      forumIds: [discourseForum.id, configuredForum.id, bar.id],
      intervalSec: 900,
      enabled: options.enabled ?? true,
      by: "bench",
    });
    const storeFeed = store === "appstore" ? `appstore:${trackId}:${cc}` : store === "googleplay" ? `googleplay:com.bench.app${i}:en-us` : `taptap:${300_000 + i}:${region}`;
    out.push({ watchlistId: w.id, name, store, storeFeed, sources });
  }
  return out;
}
