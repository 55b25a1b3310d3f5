/**
 * A thread's page, in its two forms: the legacy HTML `/p/{tid}` (SOURCES §2.3 E) and the signed
 * PC JSON `POST /c/f/pb/page_pc` (§2.3 C). The first floor is the thread (keyed by tid), every
 * other floor a reply (keyed by pid).
 *
 *   <div class="l_post j_l_post" data-field='{"content":{"post_id":150718967291,"post_no":1,…}}'>
 *     <a class="p_author_name j_user_card">小鱼干</a>
 *     <div class="d_post_content j_d_post_content">…</div>
 *     <div class="post-tail-wrap"><span class="tail-info">1楼</span><span class="tail-info">2024-08-05 16:45</span></div>
 */
import { load } from "cheerio";
import { parseChineseDate } from "./dates.ts";
import { clean, replyMention, threadMention, tiebaParseError } from "./tieba-common.ts";
import type { RawMention } from "./types.ts";

export interface TiebaThread {
  tid: string;
  /** The first floor, as the thread; null on a later page or a thread without one. */
  first: RawMention | null;
  replies: RawMention[];
  /** The thread was deleted (its page says so): nothing to read, not an error. */
  gone?: boolean;
}

interface DataField {
  author?: { user_name?: string; un?: string };
  content?: { post_id?: number | string; post_no?: number | string; thread_id?: number | string; comment_num?: number; content?: string; date?: string };
}

const GONE = /该贴已被删除|贴子已被删除|该帖子不存在|贴子不存在|该贴已被|page404/;

/** The legacy thread page `/p/{tid}`: `div.l_post` floors with their JSON `data-field`. */
export function parseTiebaThreadHtml(body: string, url?: string, now = Date.now()): TiebaThread {
  const $ = load(body);
  const posts = $("div.l_post[data-field]");
  const urlTid = /\/p\/(\d+)/.exec(url ?? "")?.[1] ?? null;
  if (posts.length === 0) {
    if (GONE.test(body)) return { tid: urlTid ?? "", first: null, replies: [], gone: true };
    throw tiebaParseError("Tieba thread page has no div.l_post floors and no deleted-thread notice: the layout changed", url, body);
  }
  const forum = clean($("a.card_title_fname").first().text()).replace(/吧$/, "") || null;
  const heading = clean($(".core_title_txt").first().attr("title") ?? $(".core_title_txt").first().text());
  const pageTitle = clean($("title").first().text()).replace(/_百度贴吧$/, "").replace(/【[^】]*吧】$/, "");
  const title = heading || pageTitle || null;
  let tid = urlTid;
  let first: RawMention | null = null;
  const replies: RawMention[] = [];
  posts.each((_, el) => {
    const post = $(el);
    let field: DataField;
    try {
      field = JSON.parse(post.attr("data-field") ?? "") as DataField;
    } catch {
      return;
    }
    // Ads and folded floors carry an empty data-field.
    const pid = field.content?.post_id != null ? String(field.content.post_id) : null;
    if (!pid) return;
    tid ??= field.content?.thread_id != null ? String(field.content.thread_id) : null;
    if (!tid) return;
    const tails = post.find(".post-tail-wrap .tail-info").toArray().map((t) => clean($(t).text()));
    const date = tails.find((t) => /^\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{2}/.test(t)) ?? field.content?.date ?? null;
    const floor = Number(field.content?.post_no ?? /^(\d+)楼$/.exec(tails.find((t) => /楼$/.test(t)) ?? "")?.[1] ?? NaN);
    const ipSpan = post.find(".post-tail-wrap span").toArray().map((t) => clean($(t).text())).find((t) => t.startsWith("IP属地"));
    const ip = ipSpan?.replace(/^IP属地[:：]\s*/, "") || null;
    const fields = {
      author: clean(post.find("a.p_author_name").first().text()) || field.author?.user_name || field.author?.un || null,
      text: clean(post.find(".d_post_content").first().text()),
      publishedAt: date ? parseChineseDate(date, now) : null,
      publishedRaw: date,
      extra: { forum, floor: Number.isFinite(floor) ? floor : null, comments: field.content?.comment_num ?? null, ...(ip ? { ip } : {}) },
    };
    if (floor === 1 || (!Number.isFinite(floor) && first === null && replies.length === 0)) {
      first = threadMention(tid, { ...fields, title, extra: { ...fields.extra, pid } });
    } else {
      replies.push(replyMention(tid, pid, { ...fields, title: null, extra: { ...fields.extra, threadTitle: title } }));
    }
  });
  if (!tid) throw tiebaParseError("Tieba thread page names no thread id (no /p/{tid} address, no thread_id in data-field)", url, body);
  return { tid, first, replies };
}

interface Floor {
  id?: string | number;
  floor?: number;
  author_id?: string | number;
  time?: number;
  content?: { type?: number; text?: string; c?: string }[] | string;
  sub_post_number?: number;
}
export interface PagePc {
  error_code?: number | string;
  error_msg?: string;
  thread?: { id?: string | number; title?: string; reply_num?: number };
  forum?: { id?: string | number; name?: string };
  page?: { total_page?: number; current_page?: number };
  first_floor?: Floor;
  post_list?: Floor[];
  user_list?: { id?: string | number; name?: string; name_show?: string; ip_address?: string }[];
}

/** A floor's content: text runs, links and @names as their text, emoticons as [name], images dropped. */
function floorText(content: Floor["content"]): string {
  if (typeof content === "string") return clean(content);
  return clean((content ?? []).map((c) => c.text ?? (c.c ? `[${c.c}]` : "")).join(""));
}

/** The signed thread JSON (`/c/f/pb/page_pc`): first_floor, post_list, and user_list for the names. */
export function parseTiebaPagePc(doc: PagePc, url?: string, body = ""): TiebaThread {
  if (String(doc.error_code ?? "0") !== "0") throw tiebaParseError(`Tieba thread answered error ${String(doc.error_code)} (${doc.error_msg ?? "no message"})`, url, body);
  const tid = doc.thread?.id != null ? String(doc.thread.id) : null;
  if (!tid) throw tiebaParseError("Tieba thread JSON has no thread.id", url, body);
  const users = new Map((doc.user_list ?? []).map((u) => [String(u.id), u]));
  const forum = doc.forum?.name ?? null;
  const title = doc.thread?.title ?? null;
  const fields = (f: Floor) => {
    const user = users.get(String(f.author_id));
    return {
      author: user?.name_show ?? user?.name ?? null,
      text: floorText(f.content),
      publishedAt: f.time ? new Date(f.time * 1000) : null,
      publishedRaw: f.time ? String(f.time) : null,
      extra: { forum, floor: f.floor ?? null, comments: f.sub_post_number ?? null, ...(user?.ip_address ? { ip: user.ip_address } : {}) },
    };
  };
  const ff = doc.first_floor;
  const firstPid = ff?.id != null ? String(ff.id) : null;
  const first = ff && firstPid ? threadMention(tid, { ...fields(ff), title, extra: { ...fields(ff).extra, floor: 1, pid: firstPid } }) : null;
  const replies: RawMention[] = [];
  for (const p of doc.post_list ?? []) {
    const pid = p.id != null ? String(p.id) : null;
    // post_list may repeat the first floor.
    if (!pid || pid === firstPid || p.floor === 1) continue;
    replies.push(replyMention(tid, pid, { ...fields(p), title: null, extra: { ...fields(p).extra, threadTitle: title } }));
  }
  return { tid, first, replies };
}
