/**
 * s.weibo.com desktop search results (logged-in only), the card layout used since about 2020:
 *
 *   <div class="card-wrap" action-type="feed_list_item" mid="4993…">
 *     … <a class="name" nick-name="作者" href="//weibo.com/{uid}?…">
 *     <p class="txt" node-type="feed_list_content">short text …展开</p>
 *     <p class="txt" node-type="feed_list_content_full" style="display:none">full text 收起</p>
 *     <div class="card-comment"> (a repost) <div node-type="feed_list_forwardContent">
 *        <a class="name" nick-name="原作者"> <p class="txt">…</p> </div>
 *        <p class="from"><a href="//weibo.com/{uid}/{bid}">time</a></p>
 *        <a action-type="feed_list_like" action-data="mid=…"> </div>
 *     <div class="from"><a href="//weibo.com/{uid}/{bid}?…">10分钟前</a> 来自 <a>client</a></div>
 *     <a action-type="feed_list_forward">转发 12</a> … feed_list_comment … feed_list_like
 *
 * The 2017 layout (`div[action-type=feed_list_item][mid]` without `card-wrap`, `p.comment_txt`)
 * and any page that is neither results nor the no-result card are layout changes: a ParseError,
 * never "no results".
 */
import { load, type CheerioAPI } from "cheerio";
import type { AnyNode, Element, ParentNode } from "domhandler";
import { ParseError } from "../errors.ts";
import { parseChineseDate } from "./dates.ts";
import type { RawMention } from "./types.ts";
import { parseWeiboCount, weiboHtmlToText } from "./weibo-text.ts";
import type { WeiboParseOptions } from "./weibo-mobile.ts";

export interface WeiboDesktopPage {
  items: RawMention[];
  /** True when the page links a next page. */
  hasNext: boolean;
  /** The page says it found nothing (card-no-result). */
  noResults: boolean;
}

function layoutError(message: string, url: string | undefined, body: string): ParseError {
  return new ParseError(`${message} (${url ?? "saved page"}): the s.weibo.com layout changed; the parser needs updating`, {
    source: "weibo",
    ...(url ? { url } : {}),
    snippet: body.slice(0, 200),
  });
}

/** Whether a body is an s.weibo.com search page (any layout), for format detection. */
export function looksLikeWeiboDesktop(body: string): boolean {
  return /feed_list_item|card-no-result|s\.weibo\.com|微博搜索/.test(body.slice(0, 300_000)) && /<html|<div/i.test(body);
}

export function parseWeiboDesktop(body: string, url?: string, options: WeiboParseOptions = {}): WeiboDesktopPage {
  const $ = load(body);
  const now = options.now ?? Date.now();
  // One walk over the document for the cards and the page's markers, not one per selector.
  const cards: Element[] = [];
  let noResults = false;
  let hasNext = false;
  for (const [el] of descendants($.root()[0]!, () => false)) {
    if (el.name === "div" && hasClass(el, "card-wrap") && el.attribs["action-type"] === "feed_list_item" && "mid" in el.attribs) cards.push(el);
    if (el.name === "div" && hasClass(el, "card-no-result")) noResults = true;
    if (el.name === "a" && hasClass(el, "next")) hasNext = true;
  }
  if (cards.length === 0) {
    if (noResults) return { items: [], hasNext: false, noResults: true };
    if ($('[action-type="feed_list_item"][mid]').length > 0 || $("p.comment_txt").length > 0) {
      throw layoutError("This is the 2017 s.weibo.com layout (feed_list_item without card-wrap, p.comment_txt), not the current card layout", url, body);
    }
    throw layoutError("No result cards (div.card-wrap[action-type=feed_list_item][mid]) and no no-result marker on the page", url, body);
  }
  const items: RawMention[] = [];
  for (const el of cards) {
    const item = cardToMention($, el, now, url, body);
    if (item) items.push(item);
  }
  return { items, hasNext, noResults: false };
}

/** "//weibo.com/123/AbC?refer_flag=…" → { uid, bid } */
function postLink(href: string | undefined): { uid: string; bid: string } | null {
  const m = /weibo\.com\/(\d+)\/([A-Za-z0-9]+)/.exec(href ?? "");
  return m ? { uid: m[1]!, bid: m[2]! } : null;
}

/** An element (tag, script or style), as domhandler's isTag tells, without importing cheerio's dependency. */
function isTag(node: AnyNode | ParentNode): node is Element {
  return node.type === "tag" || node.type === "script" || node.type === "style";
}

/** The class attribute holds the class (as `.name` in a selector matches it). */
function hasClass(el: Element, name: string): boolean {
  const value = el.attribs.class;
  return value !== undefined && value.split(/[\t\n\f\r ]+/).includes(name);
}

/**
 * Elements below `root` (not `root` itself) in document order, each with whether an element
 * between it and `root` (itself excluded) passes `within`: one walk where selectors such as
 * `div.from a` would each walk the subtree again.
 */
function* descendants(root: ParentNode, within: (el: Element) => boolean): Generator<[Element, boolean]> {
  const stack: [AnyNode, boolean][] = root.children.map((c) => [c, false] as [AnyNode, boolean]).reverse();
  while (stack.length) {
    const [node, inside] = stack.pop()!;
    if (!isTag(node)) continue;
    yield [node, inside];
    const below = inside || within(node);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push([node.children[i]!, below]);
  }
}

function firstBelow(root: Element | undefined, match: (el: Element) => boolean): Element | undefined {
  if (!root) return undefined;
  for (const [el] of descendants(root, () => false)) if (match(el)) return el;
  return undefined;
}

const isDivOf = (name: string) => (el: Element) => el.name === "div" && hasClass(el, name);
const actionOf = (type: string) => (el: Element) => el.name === "a" && el.attribs["action-type"] === type;

/** What the card's own post (outside the repost block) and the repost block hold. */
interface CardParts {
  comment?: Element;
  full?: Element;
  short?: Element;
  /** `div.from a` outside the repost: the time link, then the client. */
  fromLinks: Element[];
  name?: Element;
}

function cardParts(content: Element | undefined): CardParts {
  const parts: CardParts = { fromLinks: [] };
  if (!content) return parts;
  const isComment = isDivOf("card-comment");
  const isFrom = isDivOf("from");
  let commentAbove = false;
  for (let up: ParentNode | null = content; up && isTag(up); up = up.parent) if (isComment(up)) commentAbove = true;
  // The repost block has its own p.txt and p.from: nothing in it is the card's own.
  for (const [node, inComment] of descendants(content, isComment)) {
    if (isComment(node)) parts.comment ??= node;
    if (commentAbove || inComment || isComment(node)) continue;
    if (node.name === "p" && node.attribs["node-type"] === "feed_list_content_full") parts.full ??= node;
    if (node.name === "p" && node.attribs["node-type"] === "feed_list_content") parts.short ??= node;
    if (node.name === "a" && hasClass(node, "name")) parts.name ??= node;
    if (node.name === "a") {
      for (let up = node.parent; up && up !== content && isTag(up); up = up.parent) {
        if (isFrom(up)) {
          parts.fromLinks.push(node);
          break;
        }
      }
    }
  }
  return parts;
}

/** The repost block: `a[action-type=feed_list_like]`, `p.from a`, and the original's p.txt and a.name. */
function repostParts(comment: Element): { like?: Element; fromLink?: Element; text?: Element; name?: Element } {
  const out: { like?: Element; fromLink?: Element; text?: Element; name?: Element } = {};
  for (const [el, inFrom] of descendants(comment, (e) => e.name === "p" && hasClass(e, "from"))) {
    if (actionOf("feed_list_like")(el)) out.like ??= el;
    if (el.name === "a" && inFrom) out.fromLink ??= el;
  }
  for (const [el, inForward] of descendants(comment, (e) => e.name === "div" && e.attribs["node-type"] === "feed_list_forwardContent")) {
    if (!inForward) continue;
    if (el.name === "p" && hasClass(el, "txt")) out.text ??= el;
    if (el.name === "a" && hasClass(el, "name")) out.name ??= el;
  }
  return out;
}

function cardToMention($: CheerioAPI, el: Element, now: number, url: string | undefined, body: string): RawMention | null {
  const mid = el.attribs.mid;
  if (!mid) return null;
  const own = cardParts(firstBelow(el, isDivOf("content")));
  const { full, short } = own;
  if (!short && !full) throw layoutError(`Result ${mid} has no p[node-type=feed_list_content]`, url, body);
  const textNode = (full ?? short)!;
  const timeLink = own.fromLinks[0];
  const link = postLink(timeLink?.attribs.href);
  const rawTime = (timeLink ? $(timeLink).text().trim() : "") || null;
  const author = own.name?.attribs["nick-name"] ?? short?.attribs["nick-name"] ?? null;
  const act = firstBelow(el, isDivOf("card-act"));
  const countOf = (type: string) => {
    const a = firstBelow(act, actionOf(type));
    return parseWeiboCount(a ? $(a).text() : "");
  };
  let reposted: RawMention | null = null;
  if (own.comment) {
    const parts = repostParts(own.comment);
    const likeData = parts.like?.attribs["action-data"] ?? "";
    const origMid = /mid=(\d+)/.exec(likeData)?.[1];
    const origLink = postLink(parts.fromLink?.attribs.href);
    const origTime = (parts.fromLink ? $(parts.fromLink).text().trim() : "") || null;
    const origAuthor = parts.name?.attribs["nick-name"] ?? null;
    // A deleted original has no author, link or id: there is nothing to store but the notice.
    if (origMid) {
      reposted = {
        externalId: origMid,
        url: origLink ? `https://weibo.com/${origLink.uid}/${origLink.bid}` : `https://m.weibo.cn/detail/${origMid}`,
        author: origAuthor,
        title: null,
        text: weiboHtmlToText(parts.text ? ($(parts.text).html() ?? "") : ""),
        publishedAt: origTime ? parseChineseDate(origTime, now) : null,
        publishedRaw: origTime,
        extra: { ...(origLink ? { uid: origLink.uid, bid: origLink.bid } : {}) },
      };
    }
  }
  const client = own.fromLinks[1];
  return {
    externalId: mid,
    url: link ? `https://weibo.com/${link.uid}/${link.bid}` : `https://m.weibo.cn/detail/${mid}`,
    author,
    title: null,
    text: weiboHtmlToText($(textNode).html() ?? ""),
    publishedAt: rawTime ? parseChineseDate(rawTime, now) : null,
    publishedRaw: rawTime,
    extra: {
      ...(link ? { uid: link.uid, bid: link.bid } : {}),
      reposts: countOf("feed_list_forward"),
      comments: countOf("feed_list_comment"),
      likes: countOf("feed_list_like"),
      client: (client ? $(client).text().trim() : "") || undefined,
    },
    reposted,
  };
}
