import type { Config } from "../config.ts";
import { NonRetryableError, ParseError } from "../errors.ts";
import type { CrawlContext, RawMention, SourceAdapter, SourcePage, SourceTarget } from "./types.ts";

/**
 * TapTap reviews through the web API, newest first, 10 per page, one list per app:
 *   CN (taptap.cn):   GET {base}/webapiv2/review/v2/list-by-app?app_id={id}&limit=10&sort=new&from={offset}&X-UA=…
 *                     → data.list[].moment { id_str, publish_time, author.user.name, review { id, score, contents.text }, stat.ups }
 *   intl (taptap.io): GET {base}/webapiv2/feeds/v3/by-app?app_id={id}&limit=10&type=recent&from={offset}&X-UA=…
 *                     → data.list[].post { id_str, published_time, user.name, list_fields { app_ratings[id].score, title, summary } }
 * Both say what follows in data.next_page (empty on the last page).
 */

const PAGE_SIZE = 10;
/** 300 reviews on a first run. */
const MAX_PAGES = 30;

export type TaptapRegion = "cn" | "intl";

/** The client identification TapTap's web app sends with every API call. */
function xUa(region: TaptapRegion): string {
  return encodeURIComponent(`V=1&PN=WebApp&VN=0.1.0&LANG=${region === "cn" ? "zh_CN" : "en_US"}&PLT=PC`);
}

/** The base URL of a region: EARSHOT_TAPTAP_URL (CN) or EARSHOT_TAPTAP_INTL_URL. */
export function taptapBase(urls: Readonly<Config["sourceUrls"]>, region: TaptapRegion): string {
  return region === "intl" ? urls.taptapIntl : urls.taptap;
}

export function taptapReviewsUrl(base: string, region: TaptapRegion, appId: string, from = 0): string {
  const path =
    region === "cn"
      ? `/webapiv2/review/v2/list-by-app?app_id=${encodeURIComponent(appId)}&limit=${PAGE_SIZE}&sort=new`
      : `/webapiv2/feeds/v3/by-app?app_id=${encodeURIComponent(appId)}&limit=${PAGE_SIZE}&type=recent`;
  return `${base}${path}${from > 0 ? `&from=${from}` : ""}&X-UA=${xUa(region)}`;
}

export interface TaptapPage {
  items: RawMention[];
  /** The URL of the next page (on the same host, with X-UA), or null on the last page. */
  next: string | null;
  total: number | null;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : null);
const str = (v: unknown): string | null => (typeof v === "string" && v ? v : typeof v === "number" ? String(v) : null);

/** Review text can carry simple markup (line breaks, emphasis): kept as plain text. */
function plainText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/p>\s*<p[^>]*>/gi, "\n")
    .replace(/<[^>]+>/g, "")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .trim();
}

function unixDate(v: unknown): Date | null {
  const n = typeof v === "string" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isFinite(n) || n <= 0) return null;
  return new Date(n * 1000);
}

function score(v: unknown): number | null {
  const n = typeof v === "string" ? Number(v) : v;
  return typeof n === "number" && n >= 1 && n <= 5 ? Math.round(n) : null;
}

/**
 * Reads one page of either region's review list (told apart by the list items: `moment` on CN,
 * `post` on intl). The region comes from the items' shape, the host from `url` (for next pages).
 */
export function parseTaptapReviews(body: string, url?: string): TaptapPage {
  const fail = (message: string): never => {
    throw new ParseError(`TapTap reviews: ${message}`, {
      source: "taptap",
      ...(url ? { url } : {}),
      snippet: body.slice(0, 200),
    });
  };
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    return fail(`the answer is not valid JSON (${(err as Error).message})`);
  }
  const root = obj(doc);
  if (!root) return fail("the answer is not a JSON object");
  const data = obj(root.data);
  if (root.success === false) {
    const msg = str(data?.msg) ?? str(data?.error) ?? str(data?.code) ?? "no reason given";
    return fail(`TapTap answered with an error (${msg})`);
  }
  if (!data) return fail("the answer has no `data` object: the response is not a review list");
  if (!Array.isArray(data.list)) return fail("`data.list` is missing: the site's format changed");

  const items: RawMention[] = [];
  for (const entry of data.list) {
    const e = obj(entry);
    const moment = obj(e?.moment);
    const post = obj(e?.post);
    if (moment) items.push(cnReview(moment, fail));
    else if (post) items.push(intlReview(post, fail));
    // Other cards (ads, app updates) are not reviews.
  }
  const nextPage = str(data.next_page);
  const total = typeof data.total === "number" ? data.total : null;
  return { items, next: nextPage && url ? nextUrl(nextPage, url, fail) : null, total };
}

function cnReview(m: Obj, fail: (msg: string) => never): RawMention {
  const review = obj(m.review);
  const id = str(review?.id) ?? str(m.id_str);
  if (!id) return fail("a review has neither review.id nor id_str");
  const raw = m.publish_time ?? m.created_time;
  const app = obj(m.app);
  const stat = obj(m.stat);
  return {
    externalId: `cn:${id}`,
    url: `https://www.taptap.cn/review/${id}`,
    author: str(obj(obj(m.author)?.user)?.name),
    title: null,
    text: plainText(str(obj(review?.contents)?.text) ?? ""),
    publishedAt: unixDate(raw),
    publishedRaw: raw == null ? null : String(raw),
    rating: score(review?.score),
    appVersion: null,
    extra: {
      region: "cn",
      ...(str(app?.id) ? { appId: str(app?.id) } : {}),
      ...(typeof stat?.ups === "number" ? { ups: stat.ups } : {}),
      ...(str(m.device) ? { device: str(m.device) } : {}),
    },
  };
}

function intlReview(p: Obj, fail: (msg: string) => never): RawMention {
  const id = str(p.id_str);
  if (!id) return fail("a post has no id_str");
  const fields = obj(p.list_fields) ?? {};
  const ratings = obj(fields.app_ratings) ?? {};
  // app_ratings is keyed by app id; a post about one app carries one rating.
  const rating = Object.values(ratings).map((r) => score(obj(r)?.score)).find((s) => s !== null) ?? null;
  return {
    externalId: `intl:${id}`,
    url: `https://www.taptap.io/post/${id}`,
    author: str(obj(p.user)?.name),
    title: str(fields.title),
    text: plainText(str(fields.summary) ?? ""),
    publishedAt: unixDate(p.published_time),
    publishedRaw: p.published_time == null ? null : String(p.published_time),
    rating,
    appVersion: null,
    extra: { region: "intl", ...(Object.keys(ratings)[0] ? { appId: Object.keys(ratings)[0] } : {}) },
  };
}

/** next_page is a path (or URL) on the same site; it must not lead elsewhere. */
function nextUrl(next: string, current: string, fail: (msg: string) => never): string {
  const here = new URL(current);
  const target = new URL(next, here);
  if (target.origin !== here.origin) return fail(`next_page leads to another host (${target.host})`);
  if (!target.searchParams.has("X-UA") && here.searchParams.has("X-UA")) target.searchParams.set("X-UA", here.searchParams.get("X-UA")!);
  return target.toString();
}

const regionOf = (target: SourceTarget): TaptapRegion => (target.app.taptapRegion === "intl" ? "intl" : "cn");

async function fetchPage(ctx: CrawlContext, url: string) {
  const res = await ctx.fetcher.fetch({ url, source: "taptap" }, { log: ctx.log, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  return parseTaptapReviews(res.body, url);
}

export const taptap: SourceAdapter = {
  id: "taptap",
  label: "TapTap",
  kind: "store",
  minIntervalSec: 600,
  maxPages: MAX_PAGES,
  politeness: { concurrency: 1, minDelayMs: 1000 },

  hosts(target, config) {
    return [new URL(taptapBase(config.sourceUrls, regionOf(target))).host];
  },

  async plan(target) {
    const id = target.app.taptapId;
    if (!id) {
      throw new NonRetryableError(`"${target.app.name}" has no TapTap app id; set it with: earshot watch edit ID --taptap-id <digits>`);
    }
    const region = regionOf(target);
    return { scopes: [{ key: region, keyword: null, params: { appId: id, region } }] };
  },

  async *pages(_target, scope, ctx): AsyncGenerator<SourcePage> {
    const { appId, region } = scope.params as { appId: string; region: TaptapRegion };
    let url: string | null = taptapReviewsUrl(taptapBase(ctx.config.sourceUrls, region), region, appId);
    // Offset paging shifts when reviews arrive mid-run: a review may show up on two pages.
    const seen = new Set<string>();
    for (let n = 1; n <= MAX_PAGES && url; n++) {
      const page = await fetchPage(ctx, url);
      const items = page.items.filter((i) => !seen.has(i.externalId) && seen.add(i.externalId));
      const last = page.next === null || page.items.length === 0;
      yield { items, url, last };
      if (last) return;
      url = page.next;
    }
  },

  parse(body, url) {
    return parseTaptapReviews(body, url).items;
  },
};
