/**
 * Baidu Tieba: keyword search ("app name + keyword", one scope per keyword) and the thread lists
 * of 吧 the admin added (`earshot forum add --kind tieba --name 喵记`), newest first.
 *
 * Search without a cookie reads the legacy search page (GBK HTML, div.s_post). With
 * EARSHOT_COOKIE_TIEBA (BDUSS, STOKEN) it uses the signed JSON search; when that fails (an error
 * code, the security page, an answer it cannot read), or with EARSHOT_TIEBA_SEARCH=browser, it
 * renders the 2026 card page in the browser with the cookie.
 * A 吧's threads come from the client API (POST /c/f/frs/page, signed, with BDUSS); without BDUSS,
 * or when the client API refuses, from the mobile thread list page. Pinned threads are skipped.
 * Threads new since the last run get their first page read (the page_pc JSON with a cookie, the
 * /p/{tid} page without), at most EARSHOT_TIEBA_THREAD_PAGES per run: the first floor completes the
 * thread, and replies newer than the last run become mentions of their own.
 * The `百度安全验证` page means the cookie or the address is refused.
 */
import { BlockedError, NonRetryableError, ParseError, TransientFetchError } from "../errors.ts";
import { sharedBrowser } from "../fetch/browser.ts";
import type { FetchResponse } from "../fetch/types.ts";
import { CLIENT_SALT, WEB_SALT, isTiebaSecurityPage, tiebaParseError, tiebaSign, type TiebaPage } from "./tieba-common.ts";
import { NO_SUCH_BAR, parseTiebaMobileList, parseTiebaThreadList, type FrsPage } from "./tieba-lists.ts";
import { parseTiebaCards, parseTiebaLegacySearch, parseTiebaMultSearch, type MultSearch } from "./tieba-search.ts";
import { parseTiebaPagePc, parseTiebaThreadHtml, type PagePc, type TiebaThread } from "./tieba-thread.ts";
import type { CrawlContext, CrawlScope, RawMention, SourceAdapter, SourcePage } from "./types.ts";

const MAX_PAGES = 5;
/** Threads per page of the mobile list, for addressing a page without its 下一页 link. */
const MOBILE_PAGE = 30;
const MOBILE_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

function readJson<T>(body: string, url: string | undefined): T {
  try {
    return JSON.parse(body) as T;
  } catch (err) {
    throw tiebaParseError(`Tieba answer is not valid JSON (${(err as Error).message})`, url, body);
  }
}

const threadItems = (t: TiebaThread): TiebaPage => ({ items: [...(t.first ? [t.first] : []), ...t.replies], hasNext: false });

/** Any saved Tieba response, told apart by its content. */
export function parseTieba(body: string, url?: string): TiebaPage {
  if (isTiebaSecurityPage(body)) throw tiebaParseError("This is Baidu's 安全验证 (security check) page, not results: the cookie expired or the address is refused", url, body);
  if (body.trimStart().startsWith("{")) {
    const doc = readJson<MultSearch & FrsPage & PagePc & { data?: { content?: unknown; page?: { has_more?: unknown } } }>(body, url);
    if ("first_floor" in doc || "post_list" in doc) return threadItems(parseTiebaPagePc(doc, url, body));
    if ("thread_list" in doc) return parseTiebaThreadList(doc, url, body);
    if ("no" in doc) return parseTiebaMultSearch(doc, url, body);
    // The mobile list's is_ajax=1 form: its HTML in data.content.
    if (typeof doc.data?.content === "string") return { ...parseTiebaMobileList(doc.data.content, url), hasNext: String(doc.data.page?.has_more ?? "0") === "1" };
    if ("error_code" in doc) throw tiebaParseError(`Tieba answered error ${String(doc.error_code)} (${doc.error_msg ?? "no message"})`, url, body);
    throw tiebaParseError("Tieba JSON answer is none of: a search (no, data.card_list), a thread list (thread_list), a thread (first_floor, post_list)", url, body);
  }
  if (/s_post|s_post_list/.test(body)) return parseTiebaLegacySearch(body, url);
  if (/class="[^"]*\bl_post\b/.test(body)) return threadItems(parseTiebaThreadHtml(body, url));
  if (/<li[^>]*\b(data-tid|tl_shadow)\b|本吧暂不开放/.test(body)) return parseTiebaMobileList(body, url);
  return parseTiebaCards(body, url);
}

function detectSecurity(res: FetchResponse): string | null {
  return isTiebaSecurityPage(res.body) ? "Baidu answered with its 安全验证 (security check) page" : null;
}

function securityBlocked(url: string): BlockedError {
  return new BlockedError("tieba is blocked: Baidu answered with its 安全验证 (security check) page.", {
    host: new URL(url).host,
    reason: "security check page",
    advice: "Log in to tieba.baidu.com in a browser and copy BDUSS and STOKEN into EARSHOT_COOKIE_TIEBA, or wait and slow Tieba down with EARSHOT_POLITENESS_TIEBA=1/10000.",
  });
}

async function get(ctx: CrawlContext, url: string, init: { method?: "POST"; body?: string; headers?: Record<string, string> } = {}): Promise<FetchResponse> {
  return ctx.fetcher.fetch(
    { url, source: "tieba", ...init, headers: { referer: `${ctx.config.sourceUrls.tieba}/`, ...init.headers }, detectBlock: detectSecurity },
    { log: ctx.log, ...(ctx.signal ? { signal: ctx.signal } : {}) },
  );
}

function post(ctx: CrawlContext, url: string, form: Record<string, string>, salt: string): Promise<FetchResponse> {
  const signed = { ...form, sign: tiebaSign(form, salt) };
  return get(ctx, url, { method: "POST", body: new URLSearchParams(signed).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });
}

const cookieOf = (ctx: CrawlContext) => ctx.config.fetch.cookieHeader("tieba", "default");
const bdussOf = (cookie: string | undefined) => /(?:^|;\s*)BDUSS=([^;]+)/.exec(cookie ?? "")?.[1] ?? null;

/** What one run (one watchlist on Tieba) shares across its scopes. */
interface TiebaRun {
  threadPagesLeft: number;
  /** Threads read this run (null: not readable), so a thread is read once whatever found it. */
  threads: Map<string, TiebaThread | null>;
  tbs: Promise<string> | null;
  // Set when one way failed this run, so the rest of the run goes straight to the other.
  searchInBrowser: boolean;
  mobileLists: boolean;
  threadHtml: boolean;
}

const runs = new WeakMap<CrawlContext, TiebaRun>();

function runOf(ctx: CrawlContext): TiebaRun {
  let run = runs.get(ctx);
  if (!run) {
    run = { threadPagesLeft: ctx.config.tieba.threadPages, threads: new Map(), tbs: null, searchInBrowser: false, mobileLists: false, threadHtml: false };
    runs.set(ctx, run);
  }
  return run;
}

async function searchPage(ctx: CrawlContext, run: TiebaRun, query: string, page: number): Promise<{ url: string; parsed: TiebaPage }> {
  const base = ctx.config.sourceUrls.tieba;
  const pageUrl = `${base}/f/search/res?ie=utf-8&qw=${encodeURIComponent(query)}&rn=10&pn=${page}&sm=1&only_thread=0`;
  if (!cookieOf(ctx)) {
    const res = await get(ctx, pageUrl);
    const parsed = parseTieba(res.body, pageUrl);
    return { url: pageUrl, parsed: parsed.needsBrowser ? await renderCards(ctx, pageUrl) : parsed };
  }
  if (ctx.config.tieba.search === "browser" || run.searchInBrowser) return { url: pageUrl, parsed: await renderCards(ctx, pageUrl) };
  const params: Record<string, string> = { word: query, pn: String(page), rn: "20", st: "1", needbrand: "1", sug_type: "2", come_from: "search", subapp_type: "pc", _client_type: "20" };
  const url = `${base}/mo/q/search/multsearch?${new URLSearchParams({ ...params, sign: tiebaSign(params, WEB_SALT) })}`;
  try {
    const res = await get(ctx, url, { headers: { accept: "application/json" } });
    return { url, parsed: parseTiebaMultSearch(readJson<MultSearch>(res.body, url), url, res.body) };
  } catch (err) {
    // The JSON search refused or changed: the card page, in the browser, is the other way in.
    if (!(err instanceof ParseError || err instanceof BlockedError) || !sharedBrowser(ctx.config).available) throw err;
    run.searchInBrowser = true;
    return { url: pageUrl, parsed: await renderCards(ctx, pageUrl) };
  }
}

/** The 2026 search page fills its cards by script, and only for a logged-in visitor. */
async function renderCards(ctx: CrawlContext, url: string): Promise<TiebaPage> {
  const cookie = cookieOf(ctx);
  const pool = sharedBrowser(ctx.config);
  if (!cookie || !pool.available) {
    throw new NonRetryableError(
      `Tieba's search page now builds its results in the browser for logged-in visitors only (${url}): ` +
        (cookie ? pool.unavailableReason() : "set EARSHOT_COOKIE_TIEBA to a logged-in cookie (BDUSS, STOKEN)") + ".",
    );
  }
  const host = new URL(url).hostname;
  const cookies = cookie.split(/;\s*/).filter((c) => c.includes("=")).map((c) => ({ name: c.slice(0, c.indexOf("=")), value: c.slice(c.indexOf("=") + 1), domain: host, path: "/" }));
  const started = performance.now();
  const page = await pool.render(url, { waitFor: ".threadcardclass, .thread-content-box", orWaitFor: ".search-empty, #vcode", cookies });
  ctx.log({ method: "GET", url: `${url} (browser)`, status: page.status, bytes: null, ms: Math.round(performance.now() - started), retries: 0, error: null });
  if (isTiebaSecurityPage(page.html)) throw securityBlocked(url);
  return parseTiebaCards(page.html, url);
}

async function listPage(ctx: CrawlContext, run: TiebaRun, forum: string, page: number, next: string | null): Promise<{ url: string; parsed: TiebaPage }> {
  const base = ctx.config.sourceUrls.tieba;
  const bduss = bdussOf(cookieOf(ctx));
  if (bduss && !run.mobileLists) {
    const url = `${base}/c/f/frs/page`;
    const shown = `${url}?kw=${encodeURIComponent(forum)}&pn=${page}`;
    try {
      const form = { BDUSS: bduss, _client_type: "2", _client_version: "12.20.1.0", from: "tieba", kw: forum, pn: String(page), rn: "30", sort_type: "1" };
      const res = await post(ctx, url, form, CLIENT_SALT);
      const doc = readJson<FrsPage>(res.body, shown);
      if (String(doc.error_code ?? "") === NO_SUCH_BAR) {
        throw new NonRetryableError(`Tieba has no 吧 named "${forum}" (${doc.error_msg ?? `error ${NO_SUCH_BAR}`}): check the name given to earshot forum add.`);
      }
      return { url: shown, parsed: parseTiebaThreadList(doc, shown, res.body) };
    } catch (err) {
      // The client API refused (an error code, the security page): the mobile list is the other way in.
      if (!(err instanceof ParseError || err instanceof BlockedError)) throw err;
      run.mobileLists = true;
    }
  }
  const linked = next ? new URL(next, base) : null;
  const url = linked && linked.origin === new URL(base).origin ? linked.toString() : `${base}/mo/q/m?kw=${encodeURIComponent(forum)}&pn=${(page - 1) * MOBILE_PAGE}&lm=0&cid=0`;
  const res = await get(ctx, url, { headers: { "user-agent": MOBILE_UA } });
  return { url, parsed: parseTiebaMobileList(res.body, url) };
}

/** The anti-CSRF token the page_pc call needs (`/c/s/pc/sync` → data.anti.tbs). */
async function fetchTbs(ctx: CrawlContext): Promise<string> {
  const params = { subapp_type: "pc", _client_type: "20" };
  const url = `${ctx.config.sourceUrls.tieba}/c/s/pc/sync?${new URLSearchParams({ ...params, sign: tiebaSign(params, WEB_SALT) })}`;
  const res = await get(ctx, url, { headers: { accept: "application/json" } });
  const tbs = readJson<{ data?: { anti?: { tbs?: string } } }>(res.body, url).data?.anti?.tbs;
  if (!tbs) throw tiebaParseError("Tieba's sync answer has no data.anti.tbs", url, res.body);
  return tbs;
}

async function fetchThread(ctx: CrawlContext, run: TiebaRun, tid: string): Promise<TiebaThread> {
  const base = ctx.config.sourceUrls.tieba;
  if (cookieOf(ctx) && !run.threadHtml) {
    try {
      run.tbs ??= fetchTbs(ctx);
      const tbs = await run.tbs;
      const form = { pn: "1", lz: "0", r: "2", mark_type: "0", back: "0", fr: "", kz: tid, session_request_times: "1", tbs, subapp_type: "pc", _client_type: "20" };
      const url = `${base}/c/f/pb/page_pc`;
      const res = await post(ctx, url, form, WEB_SALT);
      return parseTiebaPagePc(readJson<PagePc>(res.body, `${url}?kz=${tid}`), `${url}?kz=${tid}`, res.body);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      run.threadHtml = true;
    }
  }
  const url = `${base}/p/${tid}`;
  const res = await get(ctx, url);
  return parseTiebaThreadHtml(res.body, url);
}

/** The first page of a thread, once per run and within the run's budget; null when not read. */
async function readThread(ctx: CrawlContext, run: TiebaRun, tid: string): Promise<TiebaThread | null> {
  if (run.threads.has(tid)) return run.threads.get(tid)!;
  if (run.threadPagesLeft <= 0 || !/^\d+$/.test(tid)) return null;
  run.threadPagesLeft--;
  let thread: TiebaThread | null = null;
  try {
    thread = await fetchThread(ctx, run, tid);
  } catch (err) {
    // An unreadable thread page leaves the thread without replies; a block or a cancelled run is not ours to swallow.
    if (!(err instanceof ParseError || err instanceof TransientFetchError)) throw err;
  }
  run.threads.set(tid, thread);
  return thread;
}

type Cursor = CrawlScope["cursor"];

const atOrBelow = (item: RawMention, cursor: Cursor) =>
  item.externalId === cursor?.lastExternalId || Boolean(cursor?.lastPublishedAt && item.publishedAt && item.publishedAt < cursor.lastPublishedAt);
const newerThan = (item: RawMention, cursor: Cursor) => !cursor?.lastPublishedAt || !item.publishedAt || item.publishedAt > cursor.lastPublishedAt;

/** A list entry completed by its first floor: the whole text; the list's date stays (the cursor compares list dates). */
function completeThread(item: RawMention, first: RawMention): RawMention {
  return {
    ...item,
    author: item.author ?? first.author,
    title: item.title ?? first.title,
    text: first.text.length > item.text.length ? first.text : item.text,
    publishedAt: item.publishedAt ?? first.publishedAt,
    publishedRaw: item.publishedAt ? item.publishedRaw : first.publishedRaw,
    extra: { ...first.extra, ...item.extra },
  };
}

/**
 * The list's entries above the cursor, each followed by what its thread's first page adds: the
 * first floor and the replies newer than the cursor (so the crawl's cut never stops on them).
 * `yielded` keeps a post reached twice in one scope (a hit that is also a reply) to one item.
 */
async function withThreads(ctx: CrawlContext, run: TiebaRun, scope: CrawlScope, items: RawMention[], yielded: Set<string>): Promise<RawMention[]> {
  const out: RawMention[] = [];
  let reachedCursor = false;
  for (const item of items) {
    reachedCursor ||= atOrBelow(item, scope.cursor);
    const thread = reachedCursor ? null : await readThread(ctx, run, String(item.extra?.tid ?? ""));
    const main = thread?.first && item.externalId === thread.tid ? completeThread(item, thread.first) : item;
    for (const m of [main, ...(thread ? [thread.first, ...thread.replies] : [])]) {
      if (!m || yielded.has(m.externalId) || (m !== main && !newerThan(m, scope.cursor))) continue;
      yielded.add(m.externalId);
      out.push(m);
    }
  }
  return out;
}

export const tieba: SourceAdapter = {
  id: "tieba",
  label: "Baidu Tieba",
  kind: "search",
  minIntervalSec: 600,
  maxPages: MAX_PAGES,
  politeness: { concurrency: 1, minDelayMs: 3000 },

  async plan(target) {
    const bars = (target.forums ?? []).filter((f) => f.kind === "tieba");
    return {
      scopes: [
        ...target.keywords.map((keyword) => ({ key: `kw:${keyword}`, keyword, params: { mode: "search", q: `${target.app.name} ${keyword}` } })),
        ...bars.map((f) => ({ key: `bar:${f.name}`, keyword: null, params: { mode: "threads", kw: f.name } })),
      ],
    };
  },

  async *pages(_target, scope, ctx): AsyncGenerator<SourcePage> {
    const run = runOf(ctx);
    const yielded = new Set<string>();
    let next: string | null = null;
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { url, parsed }: { url: string; parsed: TiebaPage } =
        scope.params.mode === "threads" ? await listPage(ctx, run, scope.params.kw!, page, next) : await searchPage(ctx, run, scope.params.q!, page);
      next = parsed.nextUrl ?? null;
      const last = !parsed.hasNext || parsed.items.length === 0;
      yield { items: await withThreads(ctx, run, scope, parsed.items, yielded), url, last };
      if (last) return;
    }
  },

  parse(body, url) {
    const page = parseTieba(body, url);
    if (page.needsBrowser) {
      throw tiebaParseError(
        "This is Tieba's 2026 search page before its script ran: it holds no results. The page builds them in a browser for a logged-in visitor; save it after it rendered (the crawl renders it in Chromium with EARSHOT_COOKIE_TIEBA)",
        url,
        body,
      );
    }
    return page.items;
  },
};
