/**
 * Baidu Tieba on its real paths: the legacy keyword search page `/f/search/res` in GBK (div.s_post),
 * the 2026 card layout of the same page (an empty shell that fills its cards by script, and only
 * with a BDUSS cookie), the signed JSON search `/mo/q/search/multsearch`, the client API thread
 * list `POST /c/f/frs/page` (pinned threads first), and the `百度安全验证` page when switched on.
 */
import iconv from "iconv-lite";
import { formatBeijing } from "../sources/dates.ts";
import { fullText, searchFeed, shortId, socialFeed, type SocialPost } from "./posts.ts";
import { sandboxApps } from "./data.ts";
import type { SandboxReply, SandboxRoute, SandboxState } from "./server.ts";

export interface TiebaSandbox {
  /** Which search page `/f/search/res` serves. @default "legacy" */
  layout: "legacy" | "2026";
  /** Answer every page with the 百度安全验证 page. @default false */
  security: boolean;
}

const states = new WeakMap<SandboxState, TiebaSandbox>();

/** The Tieba stand-in's knobs for a sandbox. */
export function tiebaSandbox(state: SandboxState): TiebaSandbox {
  let s = states.get(state);
  if (!s) {
    s = { layout: "legacy", security: false };
    states.set(state, s);
  }
  return s;
}

const SEARCH_PAGE = 10;
const THREAD_PAGE = 30;
const tid = (p: SocialPost) => String(9_100_000_000 + shortId(p, 7));
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const SECURITY_PAGE = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>百度安全验证</title></head><body><div class="timeout-title">网络不给力，请稍后重试</div><div id="vcode">安全验证</div></body></html>`;

export const tiebaRoutes: SandboxRoute = (req, state) => {
  const path = req.url.pathname;
  if (path !== "/f/search/res" && path !== "/mo/q/search/multsearch" && path !== "/c/f/frs/page" && path !== "/f/search/cards") return null;
  const tb = tiebaSandbox(state);
  if (tb.security) return { status: 200, body: SECURITY_PAGE };
  const cookie = req.headers.cookie ?? "";
  if (path === "/f/search/res") {
    const q = req.url.searchParams.get("qw") ?? "";
    const pn = Math.max(1, Number(req.url.searchParams.get("pn") ?? 1) || 1);
    return tb.layout === "2026" ? cardShell(q, pn) : legacySearch(q, pn, state);
  }
  if (path === "/f/search/cards") {
    // What the 2026 page's script loads; a request without the login cookie gets the security page.
    if (!/BDUSS=/.test(cookie)) return { status: 200, body: SECURITY_PAGE };
    const q = req.url.searchParams.get("qw") ?? "";
    const pn = Math.max(1, Number(req.url.searchParams.get("pn") ?? 1) || 1);
    return { status: 200, body: cards(q, pn, state) };
  }
  if (path === "/mo/q/search/multsearch") {
    if (!/BDUSS=/.test(cookie)) return { status: 200, json: { no: 110000, error: "未登录", data: {} } };
    const q = req.url.searchParams.get("word") ?? "";
    const pn = Math.max(1, Number(req.url.searchParams.get("pn") ?? 1) || 1);
    const rn = Math.max(1, Number(req.url.searchParams.get("rn") ?? 20) || 20);
    const hits = searchFeed("tieba", q, state).filter((p) => p.repostOf === null);
    return {
      status: 200,
      json: {
        no: 0,
        error: "success",
        data: {
          has_more: pn * rn < hits.length ? 1 : 0,
          card_list: [
            { cardInfo: "forum", cardStyle: "forum", data: { forum_name: q.split(" ")[0], member_num: 12345 } },
            ...hits.slice((pn - 1) * rn, pn * rn).map((p) => ({
              cardInfo: "thread",
              cardStyle: "thread",
              data: { tid: tid(p), title: p.title, content: fullText(p), time: Math.floor(p.at / 1000), user: { show_nickname: p.author, portrait: `tb.1.${p.uid}` }, post_num: p.comments % 50, forum_name: p.app.names[0] },
            })),
          ],
        },
      },
    };
  }
  // POST /c/f/frs/page: the form says which 吧 (kw) and which page (pn).
  const form = new URLSearchParams(req.body);
  const kw = form.get("kw") ?? "";
  const pn = Math.max(1, Number(form.get("pn") ?? 1) || 1);
  const app = [...sandboxApps, ...state.apps].find((a) => a.names.includes(kw));
  if (!app) return { status: 200, json: { error_code: "340001", error_msg: "贴吧不存在" } };
  const threads = socialFeed("tieba-bar", app, state).filter((p) => p.repostOf === null);
  const slice = threads.slice((pn - 1) * THREAD_PAGE, pn * THREAD_PAGE);
  const pinned = pn === 1 ? [{ id: "9000000001", tid: "9000000001", title: `【吧规】${kw}吧发帖须知`, create_time: String(Math.floor((state.now - 400 * 86400_000) / 1000)), last_time_int: String(Math.floor(state.now / 1000)), reply_num: "12", is_top: "1", author: { name: "吧务", name_show: "吧务组" }, abstract: [{ type: 0, text: "发帖前请先阅读" }] }] : [];
  return {
    status: 200,
    json: {
      error_code: "0",
      forum: { id: "26976424", name: kw, member_num: "54321" },
      thread_list: [
        ...pinned,
        ...slice.map((p) => ({
          id: tid(p),
          tid: tid(p),
          title: p.title,
          create_time: String(Math.floor(p.at / 1000)),
          last_time_int: String(Math.floor(p.at / 1000) + 600),
          reply_num: String(p.comments % 80),
          is_top: "0",
          author: { name: p.author, name_show: p.author },
          abstract: [{ type: 0, text: fullText(p).slice(0, 120) }],
        })),
      ],
      page: { current_page: String(pn), has_more: pn * THREAD_PAGE < threads.length ? "1" : "0" },
    },
  };
};

function legacySearch(q: string, pn: number, state: SandboxState): SandboxReply {
  const hits = searchFeed("tieba", q, state).filter((p) => p.repostOf === null);
  const slice = hits.slice((pn - 1) * SEARCH_PAGE, pn * SEARCH_PAGE);
  const posts = slice
    .map((p) => {
      const pid = String(150_000_000_000 + shortId(p, 7));
      const forum = p.app.names[0]!;
      return `<div class="s_post"><span class="p_title"><a data-tid="${tid(p)}" data-fid="26976424" class="bluelink" href="/p/${tid(p)}?pid=${pid}&amp;cid=0#${pid}" target="_blank">${esc(p.title)}</a></span>
<div class="p_content">${esc(fullText(p).slice(0, 150))}</div>
贴吧：<a data-fid="26976424" class="p_forum" href="/f?kw=${encodeURIComponent(forum)}" target="_blank"><font class="p_violet">${esc(forum)}</font></a>作者：<a href="/home/main?un=${encodeURIComponent(p.author)}" target="_blank"><font class="p_violet">${esc(p.author)}</font></a><font class="p_green p_date">${formatBeijing(p.at)}</font></div>`;
    })
    .join("\n");
  const next = pn * SEARCH_PAGE < hits.length ? `<a href="/f/search/res?isnew=1&kw=&qw=${encodeURIComponent(q)}&rn=10&un=&only_thread=0&sm=1&sd=&ed=&pn=${pn + 1}" class="next">下一页&gt;</a>` : "";
  const html = `<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"><title>百度贴吧_${esc(q)}</title></head><body>
<div class="s_container clearfix"><div class="s_main"><div class="s_post_list">
${posts || '<div class="s_post_list_empty">抱歉，没有找到与“' + esc(q) + '”相关的结果。</div>'}
</div><div class="pager pager-search">${next}</div></div></div></body></html>`;
  return { status: 200, headers: { "content-type": "text/html; charset=gbk" }, body: iconv.encode(html, "gbk") };
}

function cardShell(q: string, pn: number): SandboxReply {
  return {
    status: 200,
    body: `<!DOCTYPE html><html><head><meta charset="utf-8"><title>百度贴吧 - ${esc(q)}</title></head><body>
<div id="search-app" class="search-result-page"><div class="search-loading">加载中…</div></div>
<script>
fetch("/f/search/cards?qw=${encodeURIComponent(q)}&pn=${pn}", { credentials: "include" })
  .then(function (r) { return r.text(); })
  .then(function (html) { document.getElementById("search-app").innerHTML = html; });
</script></body></html>`,
  };
}

function cards(q: string, pn: number, state: SandboxState): string {
  const hits = searchFeed("tieba", q, state).filter((p) => p.repostOf === null);
  const slice = hits.slice((pn - 1) * SEARCH_PAGE, pn * SEARCH_PAGE);
  if (slice.length === 0) return `<div class="search-empty">暂无结果</div>`;
  return slice
    .map((p) => {
      const d = formatBeijing(p.at).slice(0, 10).split("-").map(Number);
      return `<div class="threadcardclass thread-content-box"><div class="top-title"><span class="forum-attention user">${esc(p.author)}</span><span class="forum-name-text">${esc(p.app.names[0]!)}吧</span><span>发布于 ${d[0]}-${d[1]}-${d[2]}</span></div>
<div class="title-content-wrap"><div class="title-wrap"><span>${esc(p.title)}</span></div><div class="abstract-wrap"><span>${esc(fullText(p).slice(0, 150))}</span></div></div>
<div class="action-bar-warp"><a class="action-link-bg" href="/p/${tid(p)}"></a><a class="comment-link-zone">${p.comments % 80}</a></div></div>`;
    })
    .join("\n");
}
