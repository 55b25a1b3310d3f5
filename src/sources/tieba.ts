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
import { createHash } from "node:crypto";
import { load } from "cheerio";
import { BlockedError, NonRetryableError, ParseError } from "../errors.ts";
import { sharedBrowser } from "../fetch/browser.ts";
import type { FetchResponse } from "../fetch/types.ts";
import { parseChineseDate } from "./dates.ts";
import type { CrawlContext, RawMention, SourceAdapter, SourcePage } from "./types.ts";

const MAX_PAGES = 5;
const TIEBA = "https://tieba.baidu.com";
/** Salts of Baidu's web and client signatures (public in every Tieba client). */
const WEB_SALT = "36770b1f34c9bbf2e7d1a99d2b82fa9e";
const CLIENT_SALT = "tiebaclient!!!";

export interface TiebaPage {
  items: RawMention[];
  hasNext: boolean;
  /** The 2026 search page before its script filled it: the results need a browser. */
  needsBrowser?: boolean;
}

function parseError(message: string, url: string | undefined, body: string): ParseError {
  return new ParseError(`${message} (${url ?? "saved file"})`, { source: "tieba", ...(url ? { url } : {}), snippet: body.slice(0, 200) });
}

/** Whether a page is Baidu's security check (an expired cookie, or the address refused). */
export function isTiebaSecurityPage(body: string): boolean {
  return /百度安全验证|<title>\s*安全验证/.test(body.slice(0, 20_000)) || (body.length < 6000 && body.includes("安全验证"));
}

const text = (s: string | undefined) => (s ?? "").replace(/\s+/g, " ").trim();

/** The legacy search page: `div.s_post` results (see SOURCES §2.3 A). */
export function parseTiebaLegacySearch(body: string, url?: string, now = Date.now()): TiebaPage {
  const $ = load(body);
  const items: RawMention[] = [];
  $("div.s_post").each((_, el) => {
    const post = $(el);
    const link = post.find("span.p_title a").first();
    const tid = link.attr("data-tid") ?? /\/p\/(\d+)/.exec(link.attr("href") ?? "")?.[1];
    if (!tid) return;
    const pid = /pid=(\d+)/.exec(link.attr("href") ?? "")?.[1];
    const date = text(post.find("font.p_date").first().text()) || null;
    items.push({
      externalId: pid ? `${tid}#${pid}` : tid,
      url: pid ? `${TIEBA}/p/${tid}?pid=${pid}#${pid}` : `${TIEBA}/p/${tid}`,
      author: text(post.find('a[href^="/home/main"] font').first().text()) || null,
      title: text(link.text()) || null,
      text: text(post.find("div.p_content").first().text()),
      publishedAt: date ? parseChineseDate(date, now) : null,
      publishedRaw: date,
      extra: { tid, ...(pid ? { pid } : {}), forum: text(post.find("a.p_forum font").first().text()) || null },
    });
  });
  if (items.length === 0 && !/s_post_list|s_post_list_empty|没有找到/.test(body)) {
    throw parseError("Tieba search page has neither results (div.s_post) nor the no-result marker: the layout changed", url, body);
  }
  return { items, hasNext: $(".pager a.next").length > 0 };
}

/** The 2026 card layout (rendered): `.threadcardclass` / `.thread-content-box` cards, dates "发布于 YYYY-M-D". */
export function parseTiebaCards(body: string, url?: string, now = Date.now()): TiebaPage {
  const $ = load(body);
  const cards = $(".threadcardclass, .thread-content-box");
  if (cards.length === 0) {
    if (/search-empty|暂无结果/.test(body)) return { items: [], hasNext: false };
    if (/search-app|search-loading|search-result-page/.test(body)) return { items: [], hasNext: false, needsBrowser: true };
    throw parseError("Tieba card page has no .threadcardclass cards and no empty marker: the layout changed", url, body);
  }
  const items: RawMention[] = [];
  const seen = new Set<Element | unknown>();
  cards.each((_, el) => {
    if (seen.has(el)) return;
    seen.add(el);
    const card = $(el);
    const tid = /\/p\/(\d+)/.exec(card.find("a.action-link-bg").attr("href") ?? "")?.[1];
    if (!tid) return;
    const raw = /发布于\s*[\d-]+/.exec(card.find(".top-title").text())?.[0] ?? null;
    items.push({
      externalId: tid,
      url: `${TIEBA}/p/${tid}`,
      author: text(card.find(".forum-attention.user").first().text()) || null,
      title: text(card.find(".title-content-wrap .title-wrap span").first().text() || card.find(".title-wrap").first().text()) || null,
      text: text(card.find(".abstract-wrap span").first().text() || card.find(".abstract-wrap").first().text()),
      publishedAt: raw ? parseChineseDate(raw, now) : null,
      publishedRaw: raw,
      extra: { tid, forum: text(card.find(".forum-name-text").first().text()).replace(/吧$/, "") || null },
    });
  });
  return { items, hasNext: items.length > 0 };
}

interface MultSearch {
  no?: number;
  error?: string;
  data?: { has_more?: number; card_list?: { cardInfo?: string; data?: { tid?: string | number; title?: string; content?: string; time?: number; user?: { show_nickname?: string }; post_num?: number; forum_name?: string } }[] };
}
interface FrsPage {
  error_code?: string | number;
  error_msg?: string;
  forum?: { name?: string };
  thread_list?: { id?: string; tid?: string; title?: string; create_time?: string | number; reply_num?: string | number; is_top?: string | number; author?: { name?: string; name_show?: string }; abstract?: { type?: number; text?: string }[] }[];
  page?: { has_more?: string | number };
}

/** The signed JSON search (`/mo/q/search/multsearch`): only `cardInfo: "thread"` cards are posts. */
export function parseTiebaMultSearch(doc: MultSearch, url?: string, body = ""): TiebaPage {
  if (doc.no !== 0) throw parseError(`Tieba search answered no: ${String(doc.no)} (${doc.error ?? "no message"})`, url, body);
  const items: RawMention[] = [];
  for (const card of doc.data?.card_list ?? []) {
    const d = card.data;
    if (card.cardInfo !== "thread" || !d?.tid) continue;
    items.push({
      externalId: String(d.tid),
      url: `${TIEBA}/p/${d.tid}`,
      author: d.user?.show_nickname ?? null,
      title: d.title ?? null,
      text: text(d.content),
      publishedAt: d.time ? new Date(d.time * 1000) : null,
      publishedRaw: d.time ? String(d.time) : null,
      extra: { tid: String(d.tid), forum: d.forum_name ?? null, replies: d.post_num ?? null },
    });
  }
  return { items, hasNext: Boolean(doc.data?.has_more) && items.length > 0 };
}

/** A 吧's thread list from the client API; pinned threads (is_top) are left out. */
export function parseTiebaThreadList(doc: FrsPage, url?: string, body = ""): TiebaPage {
  if (String(doc.error_code ?? "") !== "0") throw parseError(`Tieba thread list answered error ${String(doc.error_code)} (${doc.error_msg ?? "no message"})`, url, body);
  const items: RawMention[] = [];
  for (const t of doc.thread_list ?? []) {
    const tid = t.tid ?? t.id;
    if (!tid || String(t.is_top ?? "0") !== "0") continue;
    const created = Number(t.create_time);
    items.push({
      externalId: String(tid),
      url: `${TIEBA}/p/${tid}`,
      author: t.author?.name_show ?? t.author?.name ?? null,
      title: t.title ?? null,
      text: text((t.abstract ?? []).map((a) => a.text ?? "").join(" ")),
      publishedAt: created ? new Date(created * 1000) : null,
      publishedRaw: t.create_time != null ? String(t.create_time) : null,
      extra: { tid: String(tid), forum: doc.forum?.name ?? null, replies: Number(t.reply_num ?? 0) },
    });
  }
  return { items, hasNext: String(doc.page?.has_more ?? "0") === "1" };
}

/** Any saved Tieba response, told apart by its content. */
export function parseTieba(body: string, url?: string): TiebaPage {
  if (isTiebaSecurityPage(body)) throw parseError("This is Baidu's 安全验证 (security check) page, not results: the cookie expired or the address is refused", url, body);
  const head = body.trimStart();
  if (head.startsWith("{")) {
    let doc: MultSearch & FrsPage;
    try {
      doc = JSON.parse(body) as MultSearch & FrsPage;
    } catch (err) {
      throw parseError(`Tieba answer is not valid JSON (${(err as Error).message})`, url, body);
    }
    if ("thread_list" in doc || "error_code" in doc) return parseTiebaThreadList(doc, url, body);
    if ("no" in doc) return parseTiebaMultSearch(doc, url, body);
    throw parseError("Tieba JSON answer is neither a search (no, data.card_list) nor a thread list (thread_list)", url, body);
  }
  if (/s_post|s_post_list/.test(body)) return parseTiebaLegacySearch(body, url);
  return parseTiebaCards(body, url);
}

function md5(s: string): string {
  return createHash("md5").update(s).digest("hex");
}

/** Baidu's signature: md5 of the sorted "k=v" pairs (no separator) and a salt. */
export function tiebaSign(params: Record<string, string>, salt: string): string {
  return md5(
    Object.keys(params)
      .filter((k) => k !== "sign" && k !== "sig")
      .sort()
      .map((k) => `${k}=${params[k]}`)
      .join("") + salt,
  );
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
    return parseTieba(body, url).items;
  },
};
