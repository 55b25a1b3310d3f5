/**
 * Tieba's keyword search in its three forms (SOURCES §2.3 A-C): the legacy GBK page
 * (`div.s_post`), the 2026 card page (filled by script, cookie required) and the signed JSON
 * search. Pure parsers from a response body to mentions.
 */
import { load } from "cheerio";
import { parseChineseDate } from "./dates.ts";
import { clean, replyMention, threadMention, tiebaParseError, type TiebaPage } from "./tieba-common.ts";
import type { RawMention } from "./types.ts";

/**
 * The legacy search page (see SOURCES §2.3 A). A hit on a reply is titled "回复：<thread>" and
 * becomes that reply (its pid); any other hit is the thread's opening post, so the thread (tid).
 */
export function parseTiebaLegacySearch(body: string, url?: string, now = Date.now()): TiebaPage {
  const $ = load(body);
  const items: RawMention[] = [];
  $("div.s_post").each((_, el) => {
    const post = $(el);
    const link = post.find("span.p_title a").first();
    const href = link.attr("href") ?? "";
    const tid = link.attr("data-tid") ?? /\/p\/(\d+)/.exec(href)?.[1];
    if (!tid) return;
    const pid = /pid=(\d+)/.exec(href)?.[1];
    const date = clean(post.find("font.p_date").first().text()) || null;
    const title = clean(link.text());
    const reply = /^回复[:：]\s*/.exec(title);
    const fields = {
      author: clean(post.find('a[href^="/home/main"] font').first().text()) || null,
      text: clean(post.find("div.p_content").first().text()),
      publishedAt: date ? parseChineseDate(date, now) : null,
      publishedRaw: date,
      extra: { forum: clean(post.find("a.p_forum font").first().text()) || null },
    };
    if (reply && pid) items.push(replyMention(tid, pid, { ...fields, title: null, extra: { ...fields.extra, threadTitle: title.slice(reply[0].length) || null } }));
    else items.push(threadMention(tid, { ...fields, title: title || null, extra: { ...fields.extra, ...(pid ? { pid } : {}) } }));
  });
  if (items.length === 0 && !/s_post_list|s_post_list_empty|没有找到/.test(body)) {
    throw tiebaParseError("Tieba search page has neither results (div.s_post) nor the no-result marker: the layout changed", url, body);
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
    throw tiebaParseError("Tieba card page has no .threadcardclass cards and no empty marker: the layout changed", url, body);
  }
  const items: RawMention[] = [];
  const seen = new Set<string>();
  cards.each((_, el) => {
    const card = $(el);
    const tid = /\/p\/(\d+)/.exec(card.find("a.action-link-bg").attr("href") ?? "")?.[1];
    // One card may sit inside the other class's box: one mention per thread.
    if (!tid || seen.has(tid)) return;
    seen.add(tid);
    const raw = /发布于\s*[\d-]+/.exec(card.find(".top-title").text())?.[0] ?? null;
    items.push(
      threadMention(tid, {
        author: clean(card.find(".forum-attention.user").first().text()) || null,
        title: clean(card.find(".title-content-wrap .title-wrap span").first().text() || card.find(".title-wrap").first().text()) || null,
        text: clean(card.find(".abstract-wrap span").first().text() || card.find(".abstract-wrap").first().text()),
        publishedAt: raw ? parseChineseDate(raw, now) : null,
        publishedRaw: raw,
        extra: { forum: clean(card.find(".forum-name-text").first().text()).replace(/吧$/, "") || null },
      }),
    );
  });
  return { items, hasNext: items.length > 0 };
}

export interface MultSearch {
  no?: number;
  error?: string;
  data?: { has_more?: number; card_list?: { cardInfo?: string; data?: { tid?: string | number; title?: string; content?: string; time?: number; user?: { show_nickname?: string }; post_num?: number; forum_name?: string } }[] };
}

/** The signed JSON search (`/mo/q/search/multsearch`): only `cardInfo: "thread"` cards are posts. */
export function parseTiebaMultSearch(doc: MultSearch, url?: string, body = ""): TiebaPage {
  if (doc.no !== 0) throw tiebaParseError(`Tieba search answered no: ${String(doc.no)} (${doc.error ?? "no message"})`, url, body);
  const items: RawMention[] = [];
  for (const card of doc.data?.card_list ?? []) {
    const d = card.data;
    if (card.cardInfo !== "thread" || !d?.tid) continue;
    items.push(
      threadMention(String(d.tid), {
        author: d.user?.show_nickname ?? null,
        title: d.title ?? null,
        text: clean(d.content),
        publishedAt: d.time ? new Date(d.time * 1000) : null,
        publishedRaw: d.time ? String(d.time) : null,
        extra: { forum: d.forum_name ?? null, replies: d.post_num ?? null },
      }),
    );
  }
  return { items, hasNext: Boolean(doc.data?.has_more) && items.length > 0 };
}
