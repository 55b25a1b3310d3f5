/**
 * The m.weibo.cn container API (`/api/container/getIndex`, keyword search and timelines) and its
 * long-text answers (`/statuses/show?id=`, `/statuses/extend?id=`, the `/detail/{id}` page):
 * pure parsers from a response body to mentions.
 *
 *   { ok: 1, data: { cardlistInfo: { page: 2 | null }, cards: [
 *       { card_type: 9, mblog: {…} },
 *       { card_type: 11, card_group: [ { card_type: 9, mblog: {…} } ] } ] } }
 */
import { ParseError } from "../errors.ts";
import { parseChineseDate } from "./dates.ts";
import type { RawMention } from "./types.ts";
import { parseWeiboCount, weiboHtmlToText } from "./weibo-text.ts";

export interface Mblog {
  id?: string | number;
  idstr?: string;
  mid?: string;
  bid?: string;
  created_at?: string;
  text?: string;
  raw_text?: string;
  isLongText?: boolean;
  longText?: { longTextContent?: string };
  source?: string;
  user?: { id?: number | string; screen_name?: string } | null;
  reposts_count?: number | string;
  comments_count?: number | string;
  attitudes_count?: number | string;
  retweeted_status?: Mblog | null;
  region_name?: string;
  mblogtype?: number;
  deleted?: string;
}

interface Card {
  card_type?: number;
  mblog?: Mblog;
  card_group?: Card[];
}

interface Envelope {
  ok?: number;
  msg?: string;
  url?: string;
  data?: { cards?: Card[]; cardlistInfo?: { page?: number | string | null; total?: number } } & Mblog;
}

/** What a search page says, besides its posts. */
export type WeiboApiState =
  | { kind: "ok" }
  /** `ok: 0` with "这里还没有内容" or no cards: past the last result, not an error. */
  | { kind: "end" }
  /** `ok: -100`: the cookie expired or is missing (the site names a login URL). */
  | { kind: "expired"; url: string | null }
  /** `ok: 0` with a captcha or verification URL to open by hand. */
  | { kind: "captcha"; url: string }
  /** Any other `ok != 1` answer. */
  | { kind: "error"; message: string };

export interface WeiboApiPage {
  state: WeiboApiState;
  items: RawMention[];
  /** The next page number, or null on the last page. */
  nextPage: number | null;
}

/** Options shared by the Weibo parsers. */
export interface WeiboParseOptions {
  /** The moment relative dates ("3分钟前") are counted back from. @default Date.now() */
  now?: number;
}

function fail(message: string, url: string | undefined, body: string): never {
  throw new ParseError(message, { source: "weibo", ...(url ? { url } : {}), snippet: body.slice(0, 200) });
}

function readJson(body: string, url: string | undefined, what: string): Envelope {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    // The 432 answer and the "出错了" error page are HTML, not JSON.
    fail(`${what} is not JSON (${(err as Error).message}); the site answered with an error page`, url, body);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) fail(`${what} is not a JSON object`, url, body);
  return doc as Envelope;
}

/** Parses one page of `/api/container/getIndex`. Throws ParseError when it is not that API's answer. */
export function parseWeiboApi(body: string, url?: string, options: WeiboParseOptions = {}): WeiboApiPage {
  const doc = readJson(body, url, "Weibo search answer");
  if (doc.ok === -100) return { state: { kind: "expired", url: doc.url ?? null }, items: [], nextPage: null };
  if (doc.ok !== 1) {
    const cards = doc.data?.cards;
    if (doc.ok === 0 && (/还没有内容/.test(doc.msg ?? "") || (Array.isArray(cards) && cards.length === 0))) {
      return { state: { kind: "end" }, items: [], nextPage: null };
    }
    if (doc.url && /verify|captcha|validate|security/i.test(doc.url)) {
      return { state: { kind: "captcha", url: doc.url }, items: [], nextPage: null };
    }
    if (doc.ok === undefined) fail("Weibo answer has no `ok` field: it is not an m.weibo.cn API response", url, body);
    return { state: { kind: "error", message: doc.msg || `ok: ${String(doc.ok)}` }, items: [], nextPage: null };
  }
  if (!doc.data || !Array.isArray(doc.data.cards)) {
    fail("Weibo answer has `ok: 1` but no `data.cards` list: the API layout changed", url, body);
  }
  const items: RawMention[] = [];
  const seen = new Set<string>();
  const walk = (cards: Card[]) => {
    for (const card of cards) {
      if (card?.card_type === 9 && card.mblog) {
        const m = mblogToMention(card.mblog, options);
        if (m && !seen.has(m.externalId)) {
          seen.add(m.externalId);
          items.push(m);
        }
      }
      if (Array.isArray(card?.card_group)) walk(card.card_group);
    }
  };
  walk(doc.data.cards);
  const next = doc.data.cardlistInfo?.page;
  const nextPage = next == null || next === "" ? null : Number(next);
  return {
    state: items.length === 0 && doc.data.cards.length === 0 ? { kind: "end" } : { kind: "ok" },
    items,
    nextPage: nextPage !== null && Number.isFinite(nextPage) ? nextPage : null,
  };
}

/** The post id Weibo keys everything on (mid in search results, id elsewhere: the same value). */
function postId(m: Mblog): string | null {
  const id = m.id ?? m.idstr ?? m.mid;
  return id == null || id === "" ? null : String(id);
}

/**
 * One mblog → a mention; its `retweeted_status` becomes `reposted`. A deleted original (no user,
 * `deleted: "1"`) is kept, with a null author, so the repost still links to it.
 */
export function mblogToMention(m: Mblog, options: WeiboParseOptions = {}): RawMention | null {
  const id = postId(m);
  if (!id) return null;
  const now = options.now ?? Date.now();
  const html = m.longText?.longTextContent ?? m.text ?? m.raw_text ?? "";
  const uid = m.user?.id != null ? String(m.user.id) : null;
  const bid = m.bid ?? null;
  const created = m.created_at ?? null;
  const reposted = m.retweeted_status ? mblogToMention(m.retweeted_status, options) : null;
  const extra: Record<string, unknown> = {
    ...(bid ? { bid } : {}),
    ...(uid ? { uid } : {}),
    reposts: parseWeiboCount(m.reposts_count),
    comments: parseWeiboCount(m.comments_count),
    likes: parseWeiboCount(m.attitudes_count),
    ...(m.source ? { client: m.source } : {}),
    ...(m.region_name ? { region: m.region_name.replace(/^发布于\s*/, "") } : {}),
    // The list shows a cut text until the long text is fetched.
    ...(m.isLongText && !m.longText?.longTextContent ? { truncated: true } : {}),
    ...(m.deleted === "1" || (m.user === null && m.retweeted_status === undefined && !created) ? { deleted: true } : {}),
  };
  return {
    externalId: id,
    url: bid ? (uid ? `https://weibo.com/${uid}/${bid}` : `https://m.weibo.cn/status/${bid}`) : `https://m.weibo.cn/detail/${id}`,
    author: m.user?.screen_name ?? null,
    title: null,
    text: weiboHtmlToText(html),
    publishedAt: created ? parseChineseDate(created, now) : null,
    publishedRaw: created,
    extra,
    reposted,
  };
}

/**
 * The whole text of a long post: `/statuses/show?id=` (`data` is the full mblog),
 * `/statuses/extend?id=` (`data.longTextContent`) or the `/detail/{id}` page
 * (`var $render_data = [{ status: … }][0]`). Returns the text, already cleaned.
 */
export function parseWeiboLongText(body: string, url?: string): string {
  const trimmed = body.trimStart();
  if (trimmed.startsWith("{")) {
    const doc = readJson(body, url, "Weibo long-text answer") as Envelope & { data?: { longTextContent?: string } };
    if (doc.ok !== 1 || !doc.data) fail(`Weibo long-text answer says ok: ${String(doc.ok)} (${doc.msg ?? "no message"})`, url, body);
    const html = doc.data.longTextContent ?? doc.data.longText?.longTextContent ?? doc.data.text;
    if (typeof html !== "string") fail("Weibo long-text answer has no text", url, body);
    return weiboHtmlToText(html);
  }
  const status = renderDataStatus(body, url);
  return weiboHtmlToText(status.longText?.longTextContent ?? status.text ?? "");
}

/** The `status` of a `/detail/{id}` page's `$render_data`. */
function renderDataStatus(body: string, url: string | undefined): Mblog {
  const m = /var \$render_data = (\[[\s\S]*?\])\[0\]/.exec(body);
  if (!m) fail("Weibo detail page has no $render_data: the page layout changed or the post is gone", url, body);
  try {
    const data = JSON.parse(m[1]!) as { status?: Mblog }[];
    if (data[0]?.status) return data[0].status;
  } catch {
    /* reported below */
  }
  fail("Weibo detail page's $render_data holds no status", url, body);
}

/** Mentions of a `/detail/{id}` page (for `earshot parse`). */
export function parseWeiboDetailPage(body: string, url?: string, options: WeiboParseOptions = {}): RawMention[] {
  const m = mblogToMention(renderDataStatus(body, url), options);
  return m ? [m] : [];
}
