/**
 * Baidu Tieba: keyword search ("app name + keyword", one scope per keyword) and the thread lists
 * of 吧 the admin added (`earshot forum add --kind tieba --name 喵记`), newest threads first.
 *
 * Search without a cookie reads the legacy search page (GBK HTML, div.s_post). With
 * EARSHOT_COOKIE_TIEBA (BDUSS, STOKEN) it uses the signed JSON search, and when Baidu serves the
 * 2026 card page (filled by script) it renders that page in the browser with the cookie.
 * Thread lists come from the client API (POST /c/f/frs/page, signed), sorted by post time;
 * pinned threads are skipped. The `百度安全验证` page means the cookie or the address is refused.
 */
import { BlockedError, NonRetryableError } from "../errors.ts";
import { sharedBrowser } from "../fetch/browser.ts";
import type { FetchResponse } from "../fetch/types.ts";
import { CLIENT_SALT, WEB_SALT, isTiebaSecurityPage, tiebaParseError, tiebaSign, type TiebaPage } from "./tieba-common.ts";
import { parseTiebaMobileList, parseTiebaThreadList, type FrsPage } from "./tieba-lists.ts";
import { parseTiebaCards, parseTiebaLegacySearch, parseTiebaMultSearch, type MultSearch } from "./tieba-search.ts";
import { parseTiebaPagePc, parseTiebaThreadHtml, type PagePc, type TiebaThread } from "./tieba-thread.ts";
import type { CrawlContext, SourceAdapter, SourcePage } from "./types.ts";

const MAX_PAGES = 5;

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

async function searchPage(ctx: CrawlContext, query: string, page: number): Promise<{ url: string; parsed: TiebaPage }> {
  const base = ctx.config.sourceUrls.tieba;
  const cookie = ctx.config.fetch.cookieHeader("tieba", "default");
  if (cookie) {
    const params: Record<string, string> = { word: query, pn: String(page), rn: "20", st: "1", needbrand: "1", sug_type: "2", come_from: "search", subapp_type: "pc", _client_type: "20" };
    params.sign = tiebaSign(params, WEB_SALT);
    const url = `${base}/mo/q/search/multsearch?${new URLSearchParams(params)}`;
    const res = await get(ctx, url, { headers: { accept: "application/json" } });
    return { url, parsed: parseTieba(res.body, url) };
  }
  const url = `${base}/f/search/res?ie=utf-8&qw=${encodeURIComponent(query)}&rn=10&pn=${page}&sm=1&only_thread=0`;
  const res = await get(ctx, url);
  const parsed = parseTieba(res.body, url);
  if (!parsed.needsBrowser) return { url, parsed };
  return { url, parsed: await renderCards(ctx, url) };
}

/** The 2026 search page fills its cards by script, and only for a logged-in visitor. */
async function renderCards(ctx: CrawlContext, url: string): Promise<TiebaPage> {
  const cookie = ctx.config.fetch.cookieHeader("tieba", "default");
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

async function threadPage(ctx: CrawlContext, forum: string, page: number): Promise<{ url: string; parsed: TiebaPage }> {
  const url = `${ctx.config.sourceUrls.tieba}/c/f/frs/page`;
  const form: Record<string, string> = { _client_type: "2", _client_version: "12.20.1.0", from: "tieba", kw: forum, pn: String(page), rn: "30", sort_type: "1" };
  form.sign = tiebaSign(form, CLIENT_SALT);
  const res = await get(ctx, url, { method: "POST", body: new URLSearchParams(form).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });
  return { url: `${url}?kw=${encodeURIComponent(forum)}&pn=${page}`, parsed: parseTieba(res.body, url) };
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
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { url, parsed } = scope.params.mode === "threads" ? await threadPage(ctx, scope.params.kw!, page) : await searchPage(ctx, scope.params.q!, page);
      const last = !parsed.hasNext || parsed.items.length === 0;
      yield { items: parsed.items, url, last };
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
