/**
 * A 吧's thread list, newest first, in its two forms: the client API (`POST /c/f/frs/page`,
 * signed JSON, SOURCES §2.3 D) and the mobile page (`/mo/q/m?kw=`, server-rendered HTML), whose
 * entries are `li` items carrying the thread id:
 *
 *   <li class="tl_shadow tl_shadow_new" data-tid="9117888152">
 *     <div class="ti_infos"><span class="ti_author">小鱼干</span><span class="ti_time">16:45</span></div>
 *     <a href="/p/9117888152?lp=5028" class="j_common ti_item" tid="9117888152" data-thread-type="0">
 *       <div class="ti_title"><span>喵记又闪退了</span></div></a>
 *     <div class="ti_func_btn btn_reply">4</div>
 *   </li>
 *
 * Pinned threads (is_top, or the 置顶 badge) are left out: they sit on top whatever their age.
 */
import { load } from "cheerio";
import { parseChineseDate } from "./dates.ts";
import { clean, threadMention, tiebaParseError, type TiebaPage } from "./tieba-common.ts";
import type { RawMention } from "./types.ts";

export interface FrsPage {
  error_code?: string | number;
  error_msg?: string;
  forum?: { name?: string };
  thread_list?: { id?: string; tid?: string; title?: string; create_time?: string | number; reply_num?: string | number; is_top?: string | number; author?: { name?: string; name_show?: string }; abstract?: { type?: number; text?: string }[] }[];
  page?: { has_more?: string | number };
}

/** Tieba's answer when the 吧 does not exist: no other way will find it either. */
export const NO_SUCH_BAR = "340001";

/** A 吧's thread list from the client API; pinned threads (is_top) are left out. */
export function parseTiebaThreadList(doc: FrsPage, url?: string, body = ""): TiebaPage {
  if (String(doc.error_code ?? "") !== "0") throw tiebaParseError(`Tieba thread list answered error ${String(doc.error_code)} (${doc.error_msg ?? "no message"})`, url, body);
  const items: RawMention[] = [];
  for (const t of doc.thread_list ?? []) {
    const tid = t.tid ?? t.id;
    if (!tid || String(t.is_top ?? "0") !== "0") continue;
    const created = Number(t.create_time);
    items.push(
      threadMention(String(tid), {
        author: t.author?.name_show ?? t.author?.name ?? null,
        title: t.title ?? null,
        text: clean((t.abstract ?? []).map((a) => a.text ?? "").join(" ")),
        publishedAt: created ? new Date(created * 1000) : null,
        publishedRaw: t.create_time != null ? String(t.create_time) : null,
        extra: { forum: doc.forum?.name ?? null, replies: Number(t.reply_num ?? 0) },
      }),
    );
  }
  return { items, hasNext: String(doc.page?.has_more ?? "0") === "1" };
}

/**
 * The mobile list's time label: "HH:MM" today (one later than now is yesterday's), the relative
 * forms, or only a day ("MM-DD", "YYYY-MM-DD") for older threads. A day is no time: midnight would
 * sort a thread posted that evening below one the last run saw at noon, and the crawl would stop
 * there. Such threads get their time from their first floor, or none.
 */
function listTime(label: string, now: number): Date | null {
  if (/^\d{1,2}:\d{2}$/.test(label)) {
    const today = parseChineseDate(`今天 ${label}`, now);
    return today && today.getTime() > now + 60_000 ? parseChineseDate(`昨天 ${label}`, now) : today;
  }
  if (/^(\d{4}-)?\d{1,2}-\d{1,2}$|^\d{4}-\d{1,2}$/.test(label)) return null;
  return parseChineseDate(label, now);
}

/** The mobile thread list page (`/mo/q/m?kw=`), or the HTML its `is_ajax=1` form carries in `data.content`. */
export function parseTiebaMobileList(body: string, url?: string, now = Date.now()): TiebaPage {
  const $ = load(body);
  const entries = $("li[data-tid], li:has(a[tid])");
  if (entries.length === 0) {
    if (/本吧暂不开放|吧不存在/.test(body)) throw tiebaParseError("Tieba says this 吧 is closed or does not exist", url, body);
    if (/暂无帖子|还没有帖子|没有更多/.test(body)) return { items: [], hasNext: false, nextUrl: null };
    throw tiebaParseError("Tieba mobile thread list has no li[data-tid] threads and no empty marker: the layout changed", url, body);
  }
  const items: RawMention[] = [];
  entries.each((_, el) => {
    const li = $(el);
    const link = li.find("a[tid], a.ti_item, a[href*='/p/']").first();
    const tid = li.attr("data-tid") ?? link.attr("tid") ?? /\/p\/(\d+)/.exec(link.attr("href") ?? "")?.[1];
    if (!tid || !/^\d+$/.test(tid)) return;
    const pinned = li.find("span, i, em, img").toArray().some((b) => clean($(b).text()) === "置顶" || $(b).attr("alt") === "置顶");
    if (pinned) return;
    const label = clean(li.find(".ti_time").first().text()) || null;
    const replies = Number(clean(li.find(".btn_reply").first().text()).replace(/\D/g, "") || NaN);
    items.push(
      threadMention(tid, {
        author: clean(li.find(".ti_author").first().text()) || null,
        title: clean(li.find(".ti_title").first().text()) || null,
        // The list shows no text: the thread page's first floor brings it (tieba.ts).
        text: "",
        publishedAt: label ? listTime(label, now) : null,
        publishedRaw: label,
        extra: Number.isFinite(replies) ? { replies } : {},
      }),
    );
  });
  const next = $("a")
    .toArray()
    .find((a) => /下一页/.test($(a).text()) && $(a).attr("href"));
  return { items, hasNext: Boolean(next), nextUrl: next ? $(next).attr("href")! : null };
}
