/**
 * Baidu Tieba on its real paths: the legacy keyword search page `/f/search/res` in GBK (div.s_post,
 * threads and "回复：" reply hits), the 2026 card layout of the same page (an empty shell that fills
 * its cards by script, and only with a BDUSS cookie), the signed JSON search
 * `/mo/q/search/multsearch`, the client API thread list `POST /c/f/frs/page` (pinned threads
 * first), the mobile thread list `/mo/q/m?kw=` (li items with data-tid), a thread's first page as
 * the legacy `/p/{tid}` HTML and as the signed `POST /c/f/pb/page_pc` JSON (with its `/c/s/pc/sync`
 * token), and the `百度安全验证` page when switched on. Signed calls with a wrong sign are refused.
 */
import { createHash } from "node:crypto";
import iconv from "iconv-lite";
import { beijingWall, formatBeijing } from "../sources/dates.ts";
import { CLIENT_SALT, WEB_SALT, tiebaSign } from "../sources/tieba-common.ts";
import { seededRandom } from "../random.ts";
import { appForQuery, feedPost, fullText, postedAt, searchFeed, shortId, socialFeed, type SocialPost } from "./posts.ts";
import { hashSeed, sandboxApps } from "./data.ts";
import type { SandboxReply, SandboxRequest, SandboxRoute, SandboxState } from "./server.ts";

export interface TiebaSandbox {
  /** Which search page `/f/search/res` serves. @default "legacy" */
  layout: "legacy" | "2026";
  /** Answer every page with the 百度安全验证 page. @default false */
  security: boolean;
  /** Adds a reply to a thread, posted at the sandbox's now (a late reply to an old thread). */
  reply(tid: string, author: string, text: string): void;
}

const states = new WeakMap<SandboxState, TiebaSandbox & { late: Map<string, { author: string; text: string }[]> }>();

/** The Tieba stand-in's knobs for a sandbox. */
export function tiebaSandbox(state: SandboxState): TiebaSandbox {
  return knobs(state);
}

function knobs(state: SandboxState) {
  let s = states.get(state);
  if (!s) {
    const late = new Map<string, { author: string; text: string }[]>();
    s = { layout: "legacy", security: false, late, reply: (tid, author, text) => void late.set(tid, [...(late.get(tid) ?? []), { author, text }]) };
    states.set(state, s);
  }
  return s;
}

const SEARCH_PAGE = 10;
const THREAD_PAGE = 30;
/** Floors on a thread's page. */
const FLOORS_PAGE = 30;
const SITES = ["tieba", "tieba-bar"] as const;
/** A thread's id. */
export const tiebaTid = (p: SocialPost) => String(9_100_000_000 + shortId(p, 7));
const tid = tiebaTid;
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** One floor of a thread: floor 1 is the opening post, the others replies. */
export interface TiebaFloor {
  tid: string;
  pid: string;
  floor: number;
  author: string;
  text: string;
  /** When it was posted (ms). */
  at: number;
}

/** A post as Tieba ids it: the opening post is the thread (tid), any other floor its pid. */
export const tiebaKey = (f: TiebaFloor) => (f.floor === 1 ? f.tid : f.pid);

const replyLines = ["同样的问题，{topic}", "+1，{topic}", "楼主试试清缓存再重装", "客服说下个版本修", "{app}官方能不能出来说句话", "我这边正常，{device}", "顶一下，希望早点修好"];
const replyNames = ["路过的猫", "阿杰", "小透明", "吧友甲", "momo", "夜航船", "用户3358", "老张"];
const replyDevices = ["小米14", "iPhone 15", "华为P60", "vivo X90"];

/**
 * Every floor of a thread. Replies come between the thread and the next post of its feed (its
 * slot), so a feed that grows only ever adds posts and replies newer than all it held.
 */
export function tiebaFloors(p: SocialPost, state: SandboxState): TiebaFloor[] {
  const id = tid(p);
  const rnd = seededRandom(hashSeed("tieba-floors", p.id));
  const replies = p.comments % 37;
  const slot = postedAt(p.k + 1, state.now) - p.at;
  const topic = p.title.slice(p.app.names[0]!.length);
  const pid = (floor: number) => String(150_000_000_000 + shortId(p, 7) * 1000 + floor);
  const floors: TiebaFloor[] = [{ tid: id, pid: pid(1), floor: 1, author: p.author, text: fullText(p), at: p.at }];
  for (let j = 1; j <= replies; j++) {
    const line = replyLines[Math.floor(rnd() * replyLines.length)]!;
    floors.push({
      tid: id,
      pid: pid(j + 1),
      floor: j + 1,
      author: `${replyNames[Math.floor(rnd() * replyNames.length)]!}${(p.k + j) % 50}`,
      text: line.replace("{topic}", topic).replace("{app}", p.app.names[0]!).replace("{device}", replyDevices[j % replyDevices.length]!),
      at: p.at + Math.floor((slot * j) / (replies + 1)),
    });
  }
  for (const late of knobs(state).late.get(id) ?? []) {
    floors.push({ tid: id, pid: pid(floors.length + 1), floor: floors.length + 1, author: late.author, text: late.text, at: state.now });
  }
  return floors;
}

/** The floors a thread's first page shows. */
export const tiebaFirstPage = (p: SocialPost, state: SandboxState) => tiebaFloors(p, state).slice(0, FLOORS_PAGE);

/** The thread a tid names, in the keyword search's feed or a 吧's. */
export function tiebaThread(id: string, state: SandboxState): SocialPost | null {
  const k = (Number(id) - 9_100_000_000) % 100_000;
  for (const site of SITES) {
    for (const app of [...sandboxApps, ...state.apps]) {
      const p = feedPost(site, app, k, state);
      if (p && tid(p) === id) return p;
    }
  }
  return null;
}

/** What the legacy search finds for a query, newest first: threads and reply floors holding every term. */
export function tiebaSearchHits(q: string, state: SandboxState): TiebaFloor[] {
  const { app, terms } = appForQuery(q, state);
  if (!app) return [];
  const threads = new Set(searchFeed("tieba", q, state).map((p) => p.id));
  const hits: TiebaFloor[] = [];
  for (const p of socialFeed("tieba", app, state)) {
    if (p.repostOf !== null) continue;
    for (const f of tiebaFloors(p, state)) {
      if (f.floor === 1 ? threads.has(p.id) : terms.every((t) => f.text.includes(t))) hits.push(f);
    }
  }
  return hits.sort((a, b) => b.at - a.at);
}

const SECURITY_PAGE = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>百度安全验证</title></head><body><div class="timeout-title">网络不给力，请稍后重试</div><div id="vcode">安全验证</div></body></html>`;
const PATHS = ["/f/search/res", "/f/search/cards", "/mo/q/search/multsearch", "/c/f/frs/page", "/mo/q/m", "/c/s/pc/sync", "/c/f/pb/page_pc"];

/** Whether a signed call's sign is Baidu's md5 of its other parameters and the salt. */
function signedOk(params: URLSearchParams, salt: string): boolean {
  const all = Object.fromEntries(params);
  return params.get("sign") === tiebaSign(all, salt);
}

const hasLogin = (req: SandboxRequest) => /(?:^|;\s*)BDUSS=/.test(req.headers.cookie ?? "");
/** The anti-CSRF token the sandbox hands a logged-in visitor: fixed per BDUSS. */
const tbsFor = (req: SandboxRequest) => createHash("md5").update(/BDUSS=([^;]+)/.exec(req.headers.cookie ?? "")?.[1] ?? "").digest("hex").slice(0, 26);
const pageNumber = (v: string | null) => Math.max(1, Number(v ?? 1) || 1);
const offset = (v: string | null) => Math.max(0, Number(v ?? 0) || 0);

export const tiebaRoutes: SandboxRoute = (req, state) => {
  const path = req.url.pathname;
  const threadPath = /^\/p\/(\d+)$/.exec(path);
  if (!PATHS.includes(path) && !threadPath) return null;
  const tb = tiebaSandbox(state);
  if (tb.security) return { status: 200, body: SECURITY_PAGE };
  const q = req.url.searchParams;
  if (threadPath) return threadHtml(threadPath[1]!, state);
  if (path === "/f/search/res") return tb.layout === "2026" ? cardShell(q.get("qw") ?? "", pageNumber(q.get("pn"))) : legacySearch(q.get("qw") ?? "", pageNumber(q.get("pn")), state);
  if (path === "/f/search/cards") {
    // What the 2026 page's script loads; a request without the login cookie gets the security page.
    if (!hasLogin(req)) return { status: 200, body: SECURITY_PAGE };
    return { status: 200, body: cards(q.get("qw") ?? "", pageNumber(q.get("pn")), state) };
  }
  if (path === "/mo/q/search/multsearch") return multSearch(req, state);
  if (path === "/mo/q/m") return mobileList(q.get("kw") ?? "", offset(q.get("pn")), state);
  if (path === "/c/s/pc/sync") {
    if (!hasLogin(req)) return { status: 200, json: { error_code: 110000, error_msg: "未登录" } };
    if (!signedOk(q, WEB_SALT)) return { status: 200, json: { error_code: 110001, error_msg: "sign error" } };
    return { status: 200, json: { error_code: 0, data: { anti: { tbs: tbsFor(req) }, user: { is_login: 1 } } } };
  }
  const form = new URLSearchParams(req.body);
  if (path === "/c/f/pb/page_pc") return pagePc(req, form, state);
  return frsPage(form, state);
};

function multSearch(req: SandboxRequest, state: SandboxState): SandboxReply {
  const q = req.url.searchParams;
  if (!hasLogin(req)) return { status: 200, json: { no: 110000, error: "未登录", data: {} } };
  if (!signedOk(q, WEB_SALT)) return { status: 200, json: { no: 110001, error: "sign error", data: {} } };
  const word = q.get("word") ?? "";
  const pn = pageNumber(q.get("pn"));
  const rn = Math.max(1, Number(q.get("rn") ?? 20) || 20);
  const hits = searchFeed("tieba", word, state).filter((p) => p.repostOf === null);
  return {
    status: 200,
    json: {
      no: 0,
      error: "success",
      data: {
        has_more: pn * rn < hits.length ? 1 : 0,
        card_list: [
          { cardInfo: "forum", cardStyle: "forum", data: { forum_name: word.split(" ")[0], member_num: 12345 } },
          ...hits.slice((pn - 1) * rn, pn * rn).map((p) => ({
            cardInfo: "thread",
            cardStyle: "thread",
            data: { tid: tid(p), title: p.title, content: fullText(p).slice(0, 120), time: Math.floor(p.at / 1000), user: { show_nickname: p.author, portrait: `tb.1.${p.uid}` }, post_num: tiebaFloors(p, state).length - 1, forum_name: p.app.names[0] },
          })),
        ],
      },
    },
  };
}

/** The 吧's threads, newest first, and the app they are about (null: no such 吧). */
function barThreads(kw: string, state: SandboxState): SocialPost[] | null {
  const app = [...sandboxApps, ...state.apps].find((a) => a.names.includes(kw));
  return app ? socialFeed("tieba-bar", app, state).filter((p) => p.repostOf === null) : null;
}

const pinnedAt = (state: SandboxState) => state.now - 400 * 86400_000;

/** POST /c/f/frs/page: the form says which 吧 (kw) and which page (pn). */
function frsPage(form: URLSearchParams, state: SandboxState): SandboxReply {
  if (!signedOk(form, CLIENT_SALT)) return { status: 200, json: { error_code: "110001", error_msg: "sign error" } };
  const kw = form.get("kw") ?? "";
  const pn = pageNumber(form.get("pn"));
  const threads = barThreads(kw, state);
  if (!threads) return { status: 200, json: { error_code: "340001", error_msg: "贴吧不存在" } };
  const slice = threads.slice((pn - 1) * THREAD_PAGE, pn * THREAD_PAGE);
  const pinned = pn === 1 ? [{ id: "9000000001", tid: "9000000001", title: `【吧规】${kw}吧发帖须知`, create_time: String(Math.floor(pinnedAt(state) / 1000)), last_time_int: String(Math.floor(state.now / 1000)), reply_num: "12", is_top: "1", author: { name: "吧务", name_show: "吧务组" }, abstract: [{ type: 0, text: "发帖前请先阅读" }] }] : [];
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
          reply_num: String(tiebaFloors(p, state).length - 1),
          is_top: "0",
          author: { name: p.author, name_show: p.author },
          abstract: [{ type: 0, text: fullText(p).slice(0, 120) }],
        })),
      ],
      page: { current_page: String(pn), has_more: pn * THREAD_PAGE < threads.length ? "1" : "0" },
    },
  };
}

/** How the mobile list labels a time: "HH:MM" today, "MM-DD" this year, the full date before. */
function listLabel(at: number, now: number): string {
  const [w, today] = [beijingWall(at), beijingWall(now)];
  const full = formatBeijing(at);
  if (w.year === today.year && w.month === today.month && w.day === today.day) return full.slice(11);
  return w.year === today.year ? full.slice(5, 10) : full.slice(0, 10);
}

/** GET /mo/q/m?kw=&pn=: the mobile thread list; pn counts threads, the 置顶 thread leads the first page. */
function mobileList(kw: string, pn: number, state: SandboxState): SandboxReply {
  const threads = barThreads(kw, state);
  const page = (body: string) => ({ status: 200, body: `<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${esc(kw)}吧-百度贴吧</title></head><body>${body}</body></html>` });
  if (!threads) return page(`<div class="frs_error">抱歉，根据相关法律法规和政策，本吧暂不开放。</div>`);
  const item = (id: string, title: string, author: string, label: string, replies: number, badge = "") =>
    `<li class="tl_shadow tl_shadow_new" data-tid="${id}"><div class="ti_infos clearfix"><div class="ti_avatar"><img src="/static/avatar.png"></div>` +
    `<div class="ti_author_time"><span class="ti_author">${esc(author)}</span><span class="ti_time">${label}</span></div></div>` +
    `<a href="/p/${id}?lp=5028&amp;mo_device=1&amp;is_jingpost=0" class="j_common ti_item" tid="${id}" data-thread-type="0"><div class="ti_title">${badge}<span>${esc(title)}</span></div></a>` +
    `<div class="ti_func_btn btn_reply">${replies}</div></li>`;
  const slice = threads.slice(pn, pn + THREAD_PAGE);
  const rows = [
    ...(pn === 0 ? [item("9000000001", `【吧规】${kw}吧发帖须知`, "吧务组", listLabel(pinnedAt(state), state.now), 12, `<span class="ti_zding">置顶</span>`)] : []),
    ...slice.map((p) => item(tid(p), p.title, p.author, listLabel(p.at, state.now), tiebaFloors(p, state).length - 1)),
  ];
  const next = pn + THREAD_PAGE < threads.length ? `<a class="j_pager_next" href="/mo/q/m?kw=${encodeURIComponent(kw)}&amp;pn=${pn + THREAD_PAGE}&amp;lm=0&amp;cid=0">下一页</a>` : "";
  return page(`<div id="frslistcontent"><ul id="tlist" class="threads_list">${rows.join("\n")}</ul>${rows.length ? "" : '<div class="tl_empty">暂无帖子</div>'}</div><div class="list_pager">${next}</div>`);
}

/**
 * What a real thread page carries besides its floors (styles, the page's module loader calls):
 * about 100 KB there, trimmed here, but enough that a short thread is no short page. A short page
 * whose text says "验证码" (a post about login codes) would read as a challenge page.
 */
const PB_HEAD = [
  ...["tb/static-common/style/tb.js/dialog", "tb/static-common/lib/tbui/style/all", "tb/_/pb", "tb/_/pb_content", "tb/_/pb_lzl", "tb/_/fixed_bar", "tb/_/fixed_daoliu", "tb/_/fixed_guide", "tb/_/pb_userinfo", "tb/_/pb_tail"].map(
    (css, i) => `<link rel="stylesheet" href="//tb1.bdstatic.com/${css}_${(0x1a2b3c + i * 7919).toString(16)}.css" />`,
  ),
  "<script>",
  ...["pb/widget/ForumListV3", "pb/widget/sub_list/reply_editor", "pb/widget/Lzl", "pb/widget/PostList", "pb/widget/Share", "pb/widget/ThreadTheme", "pb/widget/UserCard", "pb/widget/Pager", "pb/widget/Tail", "pb/widget/Report", "pb/widget/AdStat", "pb/widget/ImageViewer", "pb/widget/Emotion", "pb/widget/VoteInit", "pb/widget/FloatBar", "common/widget/httpTransform", "common/widget/suggestion", "common/widget/searchBright", "common/widget/Userbar", "common/widget/Login"].map(
    (m) => `_.Module.use('${m}', [{ "forumId": 26976424, "enableLazyload": true, "logParams": { "page": "pb", "clientType": "pc_web", "locate": "${m.split("/").pop()}" } }], function () {});`,
  ),
  "</script>",
].join("\n");

/** GET /p/{tid}: the thread's first page, floors as div.l_post with their data-field. */
function threadHtml(id: string, state: SandboxState): SandboxReply {
  const p = tiebaThread(id, state);
  if (!p) {
    return { status: 200, body: `<!DOCTYPE html><html><head><meta charset="utf-8"><title>贴吧404</title></head><body><div class="page404"><h2>很抱歉，该贴已被删除。</h2></div></body></html>` };
  }
  const forum = p.app.names[0]!;
  const floors = tiebaFirstPage(p, state).map((f) => {
    const field = { author: { user_name: f.author }, content: { post_id: Number(f.pid), is_anonym: false, forum_id: 26976424, thread_id: Number(f.tid), post_no: f.floor, type: "0", comment_num: f.floor % 3, is_fold: 0 } };
    return `<div class="l_post l_post_bright j_l_post clearfix  " data-field='${esc(JSON.stringify(field))}'>
<div class="d_author"><ul class="p_author"><li class="d_name"><a alog-group="p_author" class="p_author_name j_user_card" href="/home/main?un=${encodeURIComponent(f.author)}&amp;ie=utf-8&amp;fr=pb" target="_blank">${esc(f.author)}</a></li></ul></div>
<div class="d_post_content_main${f.floor === 1 ? " d_post_content_firstfloor" : ""}"><div class="p_content"><cc><div id="post_content_${f.pid}" class="d_post_content j_d_post_content " style="display:;">            ${esc(f.text)}</div><br></cc></div>
<div class="core_reply j_lzl_wrapper"><div class="core_reply_tail clearfix"><div class="post-tail-wrap"><span class="ip-location">IP属地:广东</span><span class="tail-info">${f.floor}楼</span><span class="tail-info">${formatBeijing(f.at)}</span></div></div></div></div></div>`;
  });
  const html = `<!DOCTYPE html><html><head><meta charset="UTF-8"><title>${esc(p.title)}【${esc(forum)}吧】_百度贴吧</title>${PB_HEAD}
<script>var PageData = { "tbs": "0f2a6c1e9b7d3a5c1723088812", "charset": "UTF-8", "product": "pb", "page": "pb" };
PageData.forum = { "id": 26976424, "name": "${esc(forum)}", "first_class": "\u8f6f\u4ef6", "second_class": "\u5e94\u7528" };
PageData.thread = { "thread_id": ${id}, "title": "${esc(p.title)}", "reply_num": ${tiebaFloors(p, state).length - 1} };</script></head><body>
<div class="card_title"><a class="card_title_fname" href="/f?kw=${encodeURIComponent(forum)}">${esc(forum)}吧</a></div>
<div class="core_title_wrap_bright"><h3 class="core_title_txt pull-left text-overflow" title="${esc(p.title)}">${esc(p.title)}</h3></div>
<div class="p_postlist" id="j_p_postlist">
${floors.join("\n")}
</div>
<div class="footer"><p>&copy;2026 Baidu <a href="/tb/eula.html">贴吧协议</a> | <a href="/tb/cms/tieba-fe/tieba_promise/index.html">隐私政策</a> | <a href="/tb/cms/tieba_rule.html">吧主制度</a> | <a href="/hermes/feedback">意见反馈</a> | <a href="/tb/cms/rumor.html">网络谣言警示</a></p></div></body></html>`;
  return { status: 200, body: html };
}

/** POST /c/f/pb/page_pc: the thread's first page as JSON, for a logged-in visitor with the page's tbs. */
function pagePc(req: SandboxRequest, form: URLSearchParams, state: SandboxState): SandboxReply {
  if (!hasLogin(req)) return { status: 200, json: { error_code: 110000, error_msg: "未登录" } };
  if (!signedOk(form, WEB_SALT)) return { status: 200, json: { error_code: 110001, error_msg: "sign error" } };
  if (form.get("tbs") !== tbsFor(req)) return { status: 200, json: { error_code: 220034, error_msg: "tbs check failed" } };
  const p = tiebaThread(form.get("kz") ?? "", state);
  if (!p) return { status: 200, json: { error_code: 4, error_msg: "贴子已被删除" } };
  const floors = tiebaFloors(p, state);
  const uid = (name: string) => 5_000_000_000 + (hashSeed(name) % 1_000_000_000);
  const asJson = (f: TiebaFloor) => ({ id: f.pid, floor: f.floor, author_id: uid(f.author), time: Math.floor(f.at / 1000), content: [{ type: 0, text: f.text }], sub_post_number: f.floor % 3 });
  const shown = floors.slice(0, FLOORS_PAGE);
  return {
    status: 200,
    json: {
      error_code: 0,
      forum: { id: 26976424, name: p.app.names[0] },
      thread: { id: tid(p), title: p.title, reply_num: floors.length - 1, create_time: Math.floor(p.at / 1000) },
      page: { current_page: 1, total_page: Math.ceil(floors.length / FLOORS_PAGE) },
      first_floor: { ...asJson(floors[0]!), title: p.title },
      post_list: shown.map(asJson),
      user_list: [...new Set(shown.map((f) => f.author))].map((name) => ({ id: uid(name), name, name_show: name, portrait: `tb.1.${uid(name)}`, ip_address: "广东" })),
    },
  };
}

function legacySearch(q: string, pn: number, state: SandboxState): SandboxReply {
  const hits = tiebaSearchHits(q, state);
  const slice = hits.slice((pn - 1) * SEARCH_PAGE, pn * SEARCH_PAGE);
  const posts = slice
    .map((f) => {
      const p = tiebaThread(f.tid, state)!;
      const forum = p.app.names[0]!;
      const title = f.floor === 1 ? p.title : `回复：${p.title}`;
      return `<div class="s_post"><span class="p_title"><a data-tid="${f.tid}" data-fid="26976424" class="bluelink" href="/p/${f.tid}?pid=${f.pid}&amp;cid=0#${f.pid}" target="_blank">${esc(title)}</a></span>
<div class="p_content">${esc(f.text.slice(0, 150))}</div>
贴吧：<a data-fid="26976424" class="p_forum" href="/f?kw=${encodeURIComponent(forum)}" target="_blank"><font class="p_violet">${esc(forum)}</font></a>作者：<a href="/home/main?un=${encodeURIComponent(f.author)}" target="_blank"><font class="p_violet">${esc(f.author)}</font></a><font class="p_green p_date">${formatBeijing(f.at)}</font></div>`;
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
<div class="action-bar-warp"><a class="action-link-bg" href="/p/${tid(p)}"></a><a class="comment-link-zone">${tiebaFloors(p, state).length - 1}</a></div></div>`;
    })
    .join("\n");
}
