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
import type { AnyNode } from "domhandler";
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
  const cards = $('div.card-wrap[action-type="feed_list_item"][mid]');
  const noResults = $("div.card-no-result").length > 0;
  if (cards.length === 0) {
    if (noResults) return { items: [], hasNext: false, noResults: true };
    if ($('[action-type="feed_list_item"][mid]').length > 0 || $("p.comment_txt").length > 0) {
      throw layoutError("This is the 2017 s.weibo.com layout (feed_list_item without card-wrap, p.comment_txt), not the current card layout", url, body);
    }
    throw layoutError("No result cards (div.card-wrap[action-type=feed_list_item][mid]) and no no-result marker on the page", url, body);
  }
  const items: RawMention[] = [];
  cards.each((_, el) => {
    const item = cardToMention($, el, now, url, body);
    if (item) items.push(item);
  });
  return { items, hasNext: $("a.next").length > 0, noResults: false };
}

/** "//weibo.com/123/AbC?refer_flag=…" → { uid, bid } */
function postLink(href: string | undefined): { uid: string; bid: string } | null {
  const m = /weibo\.com\/(\d+)\/([A-Za-z0-9]+)/.exec(href ?? "");
  return m ? { uid: m[1]!, bid: m[2]! } : null;
}

function cardToMention($: CheerioAPI, el: AnyNode, now: number, url: string | undefined, body: string): RawMention | null {
  const card = $(el);
  const mid = card.attr("mid");
  if (!mid) return null;
  const content = card.find("div.content").first();
  const comment = content.find("div.card-comment").first();
  // The repost block has its own p.txt and p.from: look only outside it.
  const own = (selector: string) => content.find(selector).filter((_, n) => $(n).closest("div.card-comment").length === 0);
  const full = own('p[node-type="feed_list_content_full"]').first();
  const short = own('p[node-type="feed_list_content"]').first();
  if (short.length === 0 && full.length === 0) throw layoutError(`Result ${mid} has no p[node-type=feed_list_content]`, url, body);
  const textNode = full.length ? full : short;
  const timeLink = own("div.from a").first();
  const link = postLink(timeLink.attr("href"));
  const rawTime = timeLink.text().trim() || null;
  const author = own("a.name").first().attr("nick-name") ?? short.attr("nick-name") ?? null;
  const act = card.find("div.card-act").first();
  const countOf = (type: string) => parseWeiboCount(act.find(`a[action-type="${type}"]`).first().text());
  let reposted: RawMention | null = null;
  if (comment.length) {
    const likeData = comment.find('a[action-type="feed_list_like"]').attr("action-data") ?? "";
    const origMid = /mid=(\d+)/.exec(likeData)?.[1];
    const origLink = postLink(comment.find("p.from a").first().attr("href"));
    const origTime = comment.find("p.from a").first().text().trim() || null;
    const origText = comment.find('div[node-type="feed_list_forwardContent"] p.txt').first();
    const origAuthor = comment.find('div[node-type="feed_list_forwardContent"] a.name').first().attr("nick-name") ?? null;
    // A deleted original has no author, link or id: there is nothing to store but the notice.
    if (origMid) {
      reposted = {
        externalId: origMid,
        url: origLink ? `https://weibo.com/${origLink.uid}/${origLink.bid}` : `https://m.weibo.cn/detail/${origMid}`,
        author: origAuthor,
        title: null,
        text: weiboHtmlToText(origText.html() ?? ""),
        publishedAt: origTime ? parseChineseDate(origTime, now) : null,
        publishedRaw: origTime,
        extra: { ...(origLink ? { uid: origLink.uid, bid: origLink.bid } : {}) },
      };
    }
  }
  return {
    externalId: mid,
    url: link ? `https://weibo.com/${link.uid}/${link.bid}` : `https://m.weibo.cn/detail/${mid}`,
    author,
    title: null,
    text: weiboHtmlToText(textNode.html() ?? ""),
    publishedAt: rawTime ? parseChineseDate(rawTime, now) : null,
    publishedRaw: rawTime,
    extra: {
      ...(link ? { uid: link.uid, bid: link.bid } : {}),
      reposts: countOf("feed_list_forward"),
      comments: countOf("feed_list_comment"),
      likes: countOf("feed_list_like"),
      client: own("div.from a").eq(1).text().trim() || undefined,
    },
    reposted,
  };
}
