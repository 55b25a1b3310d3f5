/**
 * Weibo keyword search: "app name + keyword", newest first, one scope per keyword.
 *
 * Without admin cookies: the m.weibo.cn real-time search API (container 100103type=61), with
 * visitor cookies from the browser (weibo-session.ts), cut posts completed through
 * /statuses/show. With admin cookies (EARSHOT_COOKIE_WEIBO[_<ACCOUNT>]): the logged-in desktop
 * search page s.weibo.com/weibo, which shows full texts inline; accounts rotate when one is refused.
 * A repost's original becomes a mention of its own (RawMention.reposted).
 */
import { BlockedError, ParseError, TransientFetchError } from "../errors.ts";
import type { FetchResponse } from "../fetch/types.ts";
import type { CrawlContext, CrawlScope, RawMention, SourceAdapter, SourcePage } from "./types.ts";
import { looksLikeWeiboDesktop, parseWeiboDesktop } from "./weibo-desktop.ts";
import { parseWeiboApi, parseWeiboDetailPage, parseWeiboLongText, type WeiboApiPage } from "./weibo-mobile.ts";
import { weiboSession, type WeiboCredentials } from "./weibo-session.ts";

const MAX_PAGES = 10;
/** Consecutive failed requests after which the cookies are renewed before the next one. */
const RENEW_AFTER_ERRORS = 10;
const MOBILE_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
const DESKTOP_UA =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

let consecutiveErrors = 0;

/** The real-time search URL of the mobile API. */
export function weiboSearchUrl(base: string, query: string, page: number): string {
  const containerid = encodeURIComponent(`100103type=61&q=${query}&t=`);
  return `${base}/api/container/getIndex?containerid=${containerid}&page_type=searchall&page=${page}`;
}

/** The desktop search URL (logged-in). */
export function weiboDesktopUrl(base: string, query: string, page: number): string {
  return `${base}/weibo?q=${encodeURIComponent(query)}&page=${page}`;
}

/** Why Weibo refused the cookies of a request (so that renewing them may help), or null. */
function cookieRefusal(err: unknown): string | null {
  if (!(err instanceof BlockedError)) return null;
  if (err.details.status === 432) return "HTTP 432";
  if (/redirected to a login, visitor or captcha page/.test(err.details.reason)) return err.details.reason;
  return null;
}

/**
 * One request with the current cookies; renews them (next account, or new visitor cookies) on
 * 432, a redirect to the visitor or login pages, `ok: -100`, or after repeated errors, and tries again.
 */
async function request(ctx: CrawlContext, url: string, kind: "api" | "desktop"): Promise<FetchResponse> {
  const session = weiboSession();
  let creds: WeiboCredentials = session.current(ctx);
  if (consecutiveErrors >= RENEW_AFTER_ERRORS) {
    consecutiveErrors = 0;
    creds = await session.renew(ctx, creds, `${RENEW_AFTER_ERRORS} failed requests in a row`, 0);
  }
  let tried = 1;
  for (;;) {
    let refusal: string | null = null;
    let res: FetchResponse | null = null;
    try {
      res = await ctx.fetcher.fetch(
        {
          url,
          source: "weibo",
          account: creds.account,
          headers: {
            ...(kind === "api"
              ? { "user-agent": MOBILE_UA, "mweibo-pwa": "1", "x-requested-with": "XMLHttpRequest", referer: `${new URL(url).origin}/`, accept: "application/json, text/plain, */*" }
              : { "user-agent": DESKTOP_UA, referer: `${new URL(url).origin}/` }),
            ...(creds.cookie ? { cookie: creds.cookie } : {}),
          },
        },
        { log: ctx.log, ...(ctx.signal ? { signal: ctx.signal } : {}) },
      );
    } catch (err) {
      refusal = cookieRefusal(err);
      if (!refusal) {
        if (err instanceof TransientFetchError) consecutiveErrors++;
        throw err;
      }
    }
    if (res && kind === "api" && /"ok"\s*:\s*-100/.test(res.body.slice(0, 300))) refusal = "ok: -100 (the cookie expired)";
    if (res && !refusal) {
      consecutiveErrors = 0;
      return res;
    }
    creds = await session.renew(ctx, creds, refusal!, tried);
    tried++;
  }
}

async function withLongTexts(ctx: CrawlContext, items: RawMention[], scope: CrawlScope, done: Map<string, RawMention>): Promise<RawMention[]> {
  const out: RawMention[] = [];
  // A post and a repost of it on the same run: one long-text request.
  const complete = async (item: RawMention) => {
    const known = done.get(item.externalId);
    if (known) return { ...item, text: known.text, extra: known.extra ?? {} };
    const full = await completeText(ctx, item);
    if (item.extra?.truncated) done.set(item.externalId, full);
    return full;
  };
  let reachedCursor = false;
  for (const item of items) {
    // Posts the last run stored already had their long text fetched then.
    reachedCursor ||=
      item.externalId === scope.cursor?.lastExternalId ||
      Boolean(scope.cursor?.lastPublishedAt && item.publishedAt && item.publishedAt < scope.cursor.lastPublishedAt);
    if (reachedCursor) {
      out.push(item);
      continue;
    }
    const reposted = item.reposted ? await complete(item.reposted) : item.reposted;
    out.push({ ...(await complete(item)), reposted: reposted ?? null });
  }
  return out;
}

async function completeText(ctx: CrawlContext, item: RawMention): Promise<RawMention> {
  if (!item.extra?.truncated) return item;
  const url = `${ctx.config.sourceUrls.weibo}/statuses/show?id=${item.externalId}`;
  try {
    const res = await request(ctx, url, "api");
    const text = parseWeiboLongText(res.body, url);
    const { truncated: _, ...extra } = item.extra;
    return { ...item, text, extra: { ...extra, longText: true } };
  } catch (err) {
    // The cut text is still worth keeping; a block or a cancelled run is not ours to swallow.
    if (err instanceof ParseError || err instanceof TransientFetchError) return item;
    throw err;
  }
}

async function* mobilePages(query: string, scope: CrawlScope, ctx: CrawlContext): AsyncGenerator<SourcePage> {
  const base = ctx.config.sourceUrls.weibo;
  const longTexts = new Map<string, RawMention>();
  for (let page = 1; page <= MAX_PAGES; page++) {
    const url = weiboSearchUrl(base, query, page);
    const res = await request(ctx, url, "api");
    const parsed: WeiboApiPage = parseWeiboApi(res.body, url);
    if (parsed.state.kind === "captcha") {
      throw new BlockedError(`Weibo asks for a captcha before answering searches (${parsed.state.url}).`, {
        host: new URL(url).host,
        reason: "captcha",
        advice: `Open ${parsed.state.url} in a browser with the same cookies and solve it, or wait; earshot pauses Weibo meanwhile.`,
      });
    }
    if (parsed.state.kind === "error") {
      throw new ParseError(`Weibo search answered with an error: ${parsed.state.message}`, { source: "weibo", url, snippet: res.body.slice(0, 200) });
    }
    const items = await withLongTexts(ctx, parsed.items, scope, longTexts);
    const last = parsed.state.kind === "end" || parsed.nextPage === null || items.length === 0;
    yield { items, url, last };
    if (last) return;
  }
}

async function* desktopPages(query: string, ctx: CrawlContext): AsyncGenerator<SourcePage> {
  const base = ctx.config.sourceUrls.weiboSearch;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const url = weiboDesktopUrl(base, query, page);
    const res = await request(ctx, url, "desktop");
    const parsed = parseWeiboDesktop(res.body, url);
    const last = parsed.noResults || !parsed.hasNext || parsed.items.length === 0;
    yield { items: parsed.items, url, last };
    if (last) return;
  }
}

/**
 * Any saved Weibo response, told apart by its content: the mobile API JSON (search or
 * timeline), a long-text JSON answer, a `/detail/{id}` page, or an s.weibo.com search page.
 */
export function parseWeibo(body: string, url?: string): RawMention[] {
  const head = body.trimStart();
  if (head.startsWith("{")) {
    if (/"cards"\s*:|"ok"\s*:\s*(0|-100)\b/.test(body)) {
      const page = parseWeiboApi(body, url);
      if (page.state.kind === "expired") {
        throw new ParseError("This Weibo answer says the cookie expired (ok: -100): it holds no posts", { source: "weibo", ...(url ? { url } : {}) });
      }
      return page.items;
    }
    let doc: { data?: Record<string, unknown> };
    try {
      doc = JSON.parse(body) as { data?: Record<string, unknown> };
    } catch (err) {
      throw new ParseError(`Weibo JSON answer is not valid JSON (${(err as Error).message})`, { source: "weibo", ...(url ? { url } : {}), snippet: body.slice(0, 200) });
    }
    if (doc?.data && (doc.data.id || doc.data.mid)) {
      return parseWeiboDetailPage(`var $render_data = [${JSON.stringify({ status: doc.data })}][0]`, url);
    }
    throw new ParseError("Weibo JSON answer is neither a search page (data.cards) nor a post (data.id)", { source: "weibo", ...(url ? { url } : {}), snippet: body.slice(0, 200) });
  }
  if (body.includes("$render_data")) return parseWeiboDetailPage(body, url);
  if (looksLikeWeiboDesktop(body)) return parseWeiboDesktop(body, url).items;
  throw new ParseError("Not a Weibo response earshot knows (mobile API JSON, detail page or s.weibo.com search page)", {
    source: "weibo",
    ...(url ? { url } : {}),
    snippet: body.slice(0, 200),
  });
}

export const weibo: SourceAdapter = {
  id: "weibo",
  label: "Weibo",
  kind: "search",
  minIntervalSec: 600,
  maxPages: MAX_PAGES,
  politeness: { concurrency: 1, minDelayMs: 3000 },

  async plan(target) {
    return {
      scopes: target.keywords.map((keyword) => ({ key: `kw:${keyword}`, keyword, params: { q: `${target.app.name} ${keyword}` } })),
    };
  },

  pages(_target, scope, ctx) {
    const query = scope.params.q!;
    return weiboSession().accounts(ctx).length ? desktopPages(query, ctx) : mobilePages(query, scope, ctx);
  },

  parse: parseWeibo,
};

/** Resets the error streak (tests). */
export function resetWeiboErrors(): void {
  consecutiveErrors = 0;
}
