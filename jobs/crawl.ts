import type { Logger } from "pino";
import type { SourceHealthMonitor, SourceRunEvent } from "../src/alerts/source-health.ts";
import type { AlertStage } from "../src/alerts/stage.ts";
import type { Config } from "../src/config.ts";
import type { Database } from "../src/db/client.ts";
import {
  activeBlock,
  finishCrawlRun,
  getCursor,
  markBlocked,
  markHealthy,
  saveCursor,
  startCrawlRun,
  writeFetchLog,
  type RunTotals,
} from "../src/db/repo/crawl-runs.ts";
import { listForums } from "../src/db/repo/forums.ts";
import { getWatchlist, updateApp } from "../src/db/repo/watchlists.ts";
import type { SourceCursor } from "../src/db/schema.ts";
import { BlockedError, NonRetryableError, RateLimitedError, errorMessage } from "../src/errors.ts";
import type { FetchLogEntry, Fetcher } from "../src/fetch/types.ts";
import { processPage, type MatchedItem } from "../src/pipeline/index.ts";
import { getSource } from "../src/sources/index.ts";
import type { CrawlContext, CrawlScope, RawMention, SourceAdapter, SourceTarget } from "../src/sources/types.ts";

/** One (watchlist, source) run. Job ids of scheduled runs come from BullMQ; manual ones say "manual". */
export interface CrawlJobData {
  watchlistId: number;
  source: string;
  /** schedule, manual or demo. @default "schedule" */
  trigger?: string;
  /** On scheduled jobs: the retry policy ("5x30000") their scheduler was written with. */
  retry?: string;
}

export interface CrawlJobResult {
  runId: number | null;
  status: "ok" | "blocked" | "skipped";
  message: string | null;
  requests: number;
  pages: number;
  seen: number;
  /** Items the source's pages held, before the cursor cut (a healthy source rarely parses none). */
  parsed: number;
  new: number;
  duplicates: number;
  alerts: number;
}

export interface CrawlDeps {
  config: Readonly<Config>;
  database: Database;
  fetcher: Fetcher;
  alertStage: AlertStage;
  logger: Logger;
  /** How long a source pauses after a site blocks it. */
  blockBackoffMs: number;
  /** Hears how each run ended, for source-health alerts. */
  sourceHealth?: SourceHealthMonitor;
}

/** What the BullMQ job gives the processor (kept narrow so the processor can run without a queue). */
export interface CrawlJobHandle {
  id?: string | undefined;
  data: CrawlJobData;
  attemptsMade: number;
}

/**
 * Crawls one watchlist on one source: every scope newest first, page by page through the pipeline,
 * stopping at the cursor. The cursor moves only after every page of the scope is committed, so a
 * run that dies part-way is simply repeated, and the repeat stores nothing twice.
 *
 * Throws RateLimitedError (the worker delays the job by Retry-After), NonRetryableError or
 * ParseError (failed for good) and anything transient (retried with backoff).
 */
export async function runCrawl(deps: CrawlDeps, job: CrawlJobHandle): Promise<CrawlJobResult> {
  const { database, logger } = deps;
  const { db } = database;
  const { watchlistId, source, trigger = "schedule" } = job.data;
  const result: CrawlJobResult = { runId: null, status: "ok", message: null, requests: 0, pages: 0, seen: 0, parsed: 0, new: 0, duplicates: 0, alerts: 0 };

  const watchlist = await getWatchlist(db, watchlistId);
  if (!watchlist) return { ...result, status: "skipped", message: `watchlist ${watchlistId} no longer exists` };
  if (!watchlist.enabled && trigger === "schedule") return { ...result, status: "skipped", message: "watchlist is disabled" };
  const adapter = getSource(source);
  if (!adapter) throw new NonRetryableError(`unknown source "${source}" on watchlist ${watchlistId}`);

  const target: SourceTarget = {
    app: {
      id: watchlist.app.id,
      name: watchlist.app.name,
      aliases: watchlist.app.aliases,
      appstoreId: watchlist.app.appstoreId,
      appstoreCountries: watchlist.app.appstoreCountries,
      playPackage: watchlist.app.playPackage,
      playLangs: watchlist.app.playLangs,
      taptapId: watchlist.app.taptapId,
      taptapRegion: watchlist.app.taptapRegion,
    },
    keywords: watchlist.keywords,
    forums: (await listForums(db, watchlist.forumIds)).map((f) => ({ id: f.id, kind: f.kind, name: f.name, baseUrl: f.baseUrl, config: f.config })),
  };

  // A block pauses only the runs that would ask the blocked host (taptap.cn, not taptap.io).
  const hosts = adapter.hosts?.(target, deps.config) ?? null;
  const block = await activeBlock(db, source, hosts);
  const runId = await startCrawlRun(db, { watchlistId, source, jobId: job.id ?? null, attempt: job.attemptsMade + 1, trigger });
  result.runId = runId;
  if (block) {
    const message =
      `${adapter.label} is paused on ${block.host} until ${block.until.toISOString()} after being blocked (${block.reason ?? "no reason given"}); nothing was fetched. ` +
      `After fixing the cause, resume it now with: earshot source unblock ${source} --host ${block.host}`;
    await finishCrawlRun(db, runId, "blocked", totals(result), message);
    return { ...result, status: "blocked", message };
  }

  const fetchLog: FetchLogEntry[] = [];
  const ctx: CrawlContext = { config: deps.config, fetcher: deps.fetcher, log: (e) => fetchLog.push(e) };
  const flushLog = async () => {
    const entries = fetchLog.splice(0);
    result.requests += entries.length;
    await writeFetchLog(db, runId, entries);
  };

  try {
    const plan = await adapter.plan(target, ctx);
    if (plan.appUpdate) await updateApp(db, watchlist.app.id, plan.appUpdate);
    for (const scope of plan.scopes) {
      await crawlScope(deps, adapter, target, scope, ctx, watchlistId, result, flushLog);
    }
    await flushLog();
    await markHealthy(db, source, hosts);
    await reportHealth(deps, { source, outcome: "ok", itemsParsed: result.parsed });
    await finishCrawlRun(db, runId, "ok", totals(result));
    logger.info({ runId, watchlistId, source, new: result.new, seen: result.seen, requests: result.requests }, "crawl finished");
    return result;
  } catch (err) {
    await flushLog().catch(() => {});
    if (err instanceof BlockedError) {
      const until = new Date(Date.now() + deps.blockBackoffMs);
      // Paused on the host the run asked, so its next run sees the block even after a redirect.
      const { host: refusedBy, requestHost = refusedBy } = err.details;
      const reason = refusedBy === requestHost ? err.details.reason : `${err.details.reason} (answered by ${refusedBy})`;
      const started = await markBlocked(db, source, requestHost, reason, until);
      await reportHealth(deps, { source, outcome: "blocked", host: requestHost, reason });
      const message = `${err.message} ${err.details.advice}`.trim();
      await finishCrawlRun(db, runId, "blocked", totals(result), message);
      logger.warn({ runId, watchlistId, source, host: requestHost, newBlock: started }, "source blocked");
      return { ...result, status: "blocked", message };
    }
    if (err instanceof RateLimitedError) {
      await finishCrawlRun(db, runId, "rate_limited", totals(result), err.message);
    } else {
      await finishCrawlRun(db, runId, "failed", totals(result), errorMessage(err));
      await reportHealth(deps, { source, outcome: "failed", error: errorMessage(err) });
    }
    logger.warn({ runId, watchlistId, source, err: errorMessage(err) }, "crawl failed");
    throw err;
  }
}

async function crawlScope(
  deps: CrawlDeps,
  adapter: SourceAdapter,
  target: SourceTarget,
  scope: CrawlScope,
  ctx: CrawlContext,
  watchlistId: number,
  result: CrawlJobResult,
  flushLog: () => Promise<void>,
): Promise<void> {
  const { db, sql } = deps.database;
  const cursor = await getCursor(db, watchlistId, adapter.id, scope.key);
  let newest: RawMention | null = null;
  let pages = 0;
  const scopeWithCursor = cursor ? { ...scope, cursor: { lastExternalId: cursor.lastExternalId, lastPublishedAt: cursor.lastPublishedAt } } : scope;
  for await (const page of adapter.pages(target, scopeWithCursor, ctx)) {
    pages++;
    result.pages++;
    result.parsed += page.items.length;
    newest ??= page.items[0] ?? null;
    const { fresh, reachedCursor } = cutAtCursor(page.items, cursor);
    result.seen += fresh.length;
    if (fresh.length > 0) {
      const stored = await processPage(
        { sql, alertStage: deps.alertStage, dedupMinChars: deps.config.dedupMinChars },
        { source: adapter.id, watchlistId, items: matchItems(adapter, scope, target.keywords, fresh) },
      );
      result.new += stored.inserted.length;
      result.duplicates += stored.duplicates;
      result.alerts += stored.alerts;
    }
    await flushLog();
    if (reachedCursor || page.last || pages >= adapter.maxPages) break;
  }
  if (newest) {
    await saveCursor(db, {
      watchlistId,
      source: adapter.id,
      scope: scope.key,
      lastExternalId: newest.externalId,
      lastPublishedAt: newest.publishedAt,
    });
  }
}

/**
 * Items come newest first: keep those above the high-water mark. The mark is reached at the item
 * the last run saw first, or at anything published before it (when that item was deleted).
 */
export function cutAtCursor(
  items: readonly RawMention[],
  cursor: Pick<SourceCursor, "lastExternalId" | "lastPublishedAt"> | undefined,
): { fresh: RawMention[]; reachedCursor: boolean } {
  if (!cursor?.lastExternalId) return { fresh: [...items], reachedCursor: false };
  const fresh: RawMention[] = [];
  for (const item of items) {
    const older = cursor.lastPublishedAt && item.publishedAt && item.publishedAt < cursor.lastPublishedAt;
    // The marked review itself, edited since, comes back on top with a later date: it is news.
    const edited = cursor.lastPublishedAt && item.publishedAt && item.publishedAt > cursor.lastPublishedAt;
    if ((item.externalId === cursor.lastExternalId && !edited) || older) return { fresh, reachedCursor: true };
    fresh.push(item);
  }
  return { fresh, reachedCursor: false };
}

/**
 * Search sources: everything a keyword's search found matches that keyword. Store feeds: every
 * review is kept (matched as '' = the app's own feed) and also matches each keyword it contains.
 */
export function matchItems(
  adapter: Pick<SourceAdapter, "kind">,
  scope: CrawlScope,
  keywords: readonly string[],
  items: readonly RawMention[],
): MatchedItem[] {
  if (adapter.kind === "search") return items.map((raw) => ({ raw, keywords: [scope.keyword ?? ""] }));
  const lowered = keywords.map((k) => k.toLowerCase());
  return items.map((raw) => {
    const haystack = `${raw.title ?? ""}\n${raw.text}`.toLowerCase();
    return { raw, keywords: ["", ...keywords.filter((_, i) => haystack.includes(lowered[i]!))] };
  });
}

/** Source-health alerts must never fail the crawl that feeds them. */
async function reportHealth(deps: CrawlDeps, event: SourceRunEvent): Promise<void> {
  try {
    await deps.sourceHealth?.onRun(event);
  } catch (err) {
    deps.logger.error({ source: event.source, err: errorMessage(err) }, "source health could not be recorded");
  }
}

function totals(r: CrawlJobResult): RunTotals {
  return { requests: r.requests, pagesFetched: r.pages, itemsSeen: r.seen, itemsNew: r.new, duplicates: r.duplicates };
}
