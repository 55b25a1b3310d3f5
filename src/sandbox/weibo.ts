/**
 * Weibo on its real paths: the m.weibo.cn container API (real-time keyword search), the long-text
 * endpoints, the visitor-cookie system a browser goes through on a cookie-less first visit, and
 * the s.weibo.com desktop search page. Served quirks: posts nested in `card_group`, counts as
 * strings ("1.2万", "100万+"), relative dates, `全文` links on cut posts, reposts of deleted posts
 * (`user: null`), `ok: 0` "这里还没有内容" past the end, 432 without cookies, `ok: -100` on an
 * expired cookie, and redirects to the visitor or login page on the desktop site.
 */
import { beijingWall } from "../sources/dates.ts";
import { fullText, searchFeed, type SocialPost } from "./posts.ts";
import type { SandboxReply, SandboxRequest, SandboxRoute, SandboxState } from "./server.ts";

const PAGE_SIZE = 10;
const DESKTOP_PAGE_SIZE = 20;
const MAX_PAGES = 50;

/** What the Weibo stand-in remembers per sandbox: issued visitor cookies and refused accounts. */
export interface WeiboSandbox {
  /** Visitor SUB values handed out and still valid. */
  visitorSubs: Set<string>;
  /** SUB values answered with 432 (a refused account or visitor). */
  refused: Set<string>;
  /** Visits to the visitor page (one per browser fetch of visitor cookies). */
  visitorVisits: number;
  /** Makes every visitor cookie handed out so far expire (`ok: -100`). */
  expireVisitorCookies(): void;
}

const states = new WeakMap<SandboxState, WeiboSandbox>();

/** The Weibo stand-in's knobs for a sandbox (`weiboSandbox(sandbox.state).expireVisitorCookies()`). */
export function weiboSandbox(state: SandboxState): WeiboSandbox {
  let s = states.get(state);
  if (!s) {
    const created: WeiboSandbox = {
      visitorSubs: new Set(),
      refused: new Set(),
      visitorVisits: 0,
      expireVisitorCookies() {
        created.visitorSubs.clear();
      },
    };
    s = created;
    states.set(state, s);
  }
  return s;
}

function cookies(req: SandboxRequest): Map<string, string> {
  const header = req.headers.cookie ?? "";
  return new Map(
    header
      .split(/;\s*/)
      .filter(Boolean)
      .map((c) => [c.slice(0, c.indexOf("=")), c.slice(c.indexOf("=") + 1)] as [string, string]),
  );
}

/** Logged-in SUB cookies start with "_2A" (real ones do); visitor ones are issued below. */
const isLoggedIn = (sub: string | undefined) => Boolean(sub?.startsWith("_2A"));

export const weiboRoutes: SandboxRoute = (req, state) => {
  const path = req.url.pathname;
  const wb = weiboSandbox(state);
  const sub = cookies(req).get("SUB");
  const origin = `http://${req.headers.host ?? "127.0.0.1"}`;

  if (path === "/" && req.method === "GET") {
    // m.weibo.cn sends a cookie-less visitor to the visitor system, which comes back with SUB.
    if (!sub || !(wb.visitorSubs.has(sub) || isLoggedIn(sub))) {
      const back = encodeURIComponent(`${origin}/`);
      return { status: 302, headers: { location: `${origin}/visitor/visitor?entry=miniblog&a=enter&url=${back}&domain=.weibo.cn&_rand=${Date.now()}` } };
    }
    return { status: 200, body: `<!DOCTYPE html><html><head><meta charset="utf-8"><title>微博</title></head><body><div id="app">微博</div></body></html>` };
  }
  if (path === "/visitor/visitor" && req.method === "GET") {
    wb.visitorVisits++;
    return { status: 200, body: visitorPage(req.url.searchParams.get("url") ?? `${origin}/`) };
  }
  if (path === "/visitor/genvisitor2" && req.method === "POST") {
    const n = wb.visitorVisits;
    const newSub = `V2AkMvisitor${n}x${Math.random().toString(36).slice(2, 10)}`;
    wb.visitorSubs.add(newSub);
    const subp = `0033WrSXqPxfM72-Ws9jqgMF55529P9D9W${n}`;
    return {
      status: 200,
      headers: {
        "content-type": "application/javascript; charset=utf-8",
        "set-cookie": `SUB=${newSub}; path=/; expires=${new Date(Date.now() + 365 * 86400_000).toUTCString()}; httponly`,
      },
      body: `visitor_gray_callback({"retcode":20000000,"msg":"succ","data":{"sub":"${newSub}","subp":"${subp}","tid":"sandbox${n}"}});`,
    };
  }
  if (path === "/api/container/getIndex") return apiGuard(wb, sub) ?? searchApi(req, state);
  if (path === "/statuses/show") {
    const refused = apiGuard(wb, sub);
    if (refused) return refused;
    const post = findPost(req.url.searchParams.get("id") ?? "", state);
    if (!post) return { status: 200, json: { ok: 0, msg: "该微博不存在" } };
    return { status: 200, json: { ok: 1, data: mblog(post, true) } };
  }
  const detail = /^\/detail\/(\d+)$/.exec(path);
  if (detail) {
    const post = findPost(detail[1]!, state);
    if (!post) return { status: 200, body: "<html><body>出错了，未知错误</body></html>" };
    return {
      status: 200,
      body: `<!DOCTYPE html><html><head><meta charset="utf-8"><title>微博正文</title></head><body><script>var $render_data = [${JSON.stringify({ status: mblog(post, true), call: "" })}][0] || {};</script></body></html>`,
    };
  }
  if (path === "/weibo" && req.url.searchParams.has("q")) return desktopSearch(req, state, wb, sub, origin);
  if (path === "/signin/login") return { status: 200, body: "<html><head><title>微博登录</title></head><body>请登录</body></html>" };
  return null;
};

/** 432 without a cookie or for a refused one; `ok: -100` for a visitor cookie that expired. */
function apiGuard(wb: WeiboSandbox, sub: string | undefined): SandboxReply | null {
  if (!sub || wb.refused.has(sub)) return { status: 432, body: "" };
  if (!isLoggedIn(sub) && !wb.visitorSubs.has(sub)) {
    return { status: 200, json: { ok: -100, url: "https://passport.weibo.cn/signin/welcome?entry=mweibo&r=https%3A%2F%2Fm.weibo.cn%2F" } };
  }
  return null;
}

function visitorPage(back: string): string {
  // The real page fingerprints the browser in script, asks genvisitor2 for SUB/SUBP and goes back:
  // only something that runs JavaScript gets through.
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sina Visitor System</title></head><body>
<script>
fetch("/visitor/genvisitor2", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "cb=visitor_gray_callback&tid=&from=weibo" })
  .then(function (r) { return r.text(); })
  .then(function (t) {
    var data = JSON.parse(t.slice(t.indexOf("(") + 1, t.lastIndexOf(")"))).data;
    document.cookie = "SUBP=" + data.subp + "; path=/";
    setTimeout(function () { location.replace(${JSON.stringify(back)}); }, 20);
  });
</script></body></html>`;
}

function findPost(id: string, state: SandboxState): SocialPost | null {
  for (const app of ["喵记", "快跑", ...state.apps.map((a) => a.names[0]!)]) {
    for (const p of searchFeed("weibo", app, state)) {
      if (p.id === id) return p;
      if (typeof p.repostOf === "object" && p.repostOf?.id === id) return p.repostOf;
    }
  }
  return null;
}

function searchApi(req: SandboxRequest, state: SandboxState): SandboxReply {
  const containerid = req.url.searchParams.get("containerid") ?? "";
  const inner = new URLSearchParams(containerid.replace(/^100103/, ""));
  const q = inner.get("q") ?? "";
  const page = Math.max(1, Number(req.url.searchParams.get("page") ?? 1) || 1);
  const hits = q ? searchFeed("weibo", q, state) : [];
  const slice = page <= MAX_PAGES ? hits.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE) : [];
  if (slice.length === 0) return { status: 200, json: { ok: 0, msg: "这里还没有内容", data: { cards: [] } } };
  const more = page * PAGE_SIZE < hits.length && page < MAX_PAGES;
  const cards: unknown[] = [];
  if (page === 1) {
    // A user card group ahead of the posts, as keyword searches show for matching accounts.
    cards.push({ card_type: 11, show_type: 1, card_group: [{ card_type: 10, user: { id: 6000000001, screen_name: `${q.split(" ")[0]}官方` } }] });
  }
  slice.forEach((p, i) => {
    const card = { card_type: 9, itemid: `seqid:${p.id}`, scheme: `https://m.weibo.cn/status/${bid(p.id)}?mblogid=${bid(p.id)}`, mblog: mblog(p, false) };
    // Every fourth post comes wrapped in a card group.
    cards.push(i % 4 === 2 ? { card_type: 11, card_group: [card] } : card);
  });
  return {
    status: 200,
    json: {
      ok: 1,
      data: {
        cardlistInfo: { containerid, v_p: 42, show_style: 1, total: hits.length, page: more ? page + 1 : null },
        cards,
        scheme: `sinaweibo://searchall?containerid=${encodeURIComponent(containerid)}`,
        showAppTips: 0,
      },
    },
  };
}

const BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Weibo's base62 short id ("bid") of a post id, as its URLs carry it. */
export function bid(id: string): string {
  let n = BigInt(id);
  let out = "";
  while (n > 0n) {
    out = BASE62[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out || "0";
}

const EMOJI: Record<string, string> = { 怒: "d_nu", doge: "d_doge", 汗: "d_han", 赞: "d_zan" };

function textHtml(text: string, app: string): string {
  return text
    .replace(/\[(怒|doge|汗|赞)\]/g, (_, e: string) => `<span class="url-icon"><img alt=[${e}] src="//h5.sinaimg.cn/m/emoticon/icon/default/${EMOJI[e]}.png" style="width:1em; height:1em;" /></span>`)
    .replace(app, `<a  href="https://m.weibo.cn/search?containerid=231522type%3D1%26t%3D10%26q%3D%23${encodeURIComponent(app)}%23" data-hide=""><span class="surl-text">${app}</span></a>`)
    .replace(/。/, "。<br />");
}

/** A count as the API writes it: a number, or "1.2万" / "100万+" once large. */
function count(n: number): number | string {
  if (n >= 1_000_000) return "100万+";
  if (n >= 10_000) return `${(n / 10_000).toFixed(1)}万`;
  return n;
}

function mblog(p: SocialPost, full: boolean): Record<string, unknown> {
  const app = p.app.names[0]!;
  const whole = fullText(p);
  const cut = p.long && !full;
  const html = cut
    ? `${textHtml(whole.slice(0, 90), app)}...<a href="/status/${bid(p.id)}">全文</a>`
    : textHtml(whole, app);
  const out: Record<string, unknown> = {
    created_at: mobileDate(p),
    id: p.id,
    idstr: p.id,
    mid: p.id,
    bid: bid(p.id),
    can_edit: false,
    text: html,
    textLength: whole.length * 2,
    source: ["iPhone 15 Pro", "HUAWEI Mate 60", "微博 weibo.com", "小米14"][p.k % 4],
    favorited: false,
    isLongText: p.long,
    pic_num: 0,
    user: {
      id: Number(p.uid),
      screen_name: p.author,
      profile_image_url: `https://tvax1.sinaimg.cn/crop.0.0.180.180.180/${p.uid}.jpg`,
      profile_url: `https://m.weibo.cn/u/${p.uid}?uid=${p.uid}`,
      verified: p.k % 11 === 0,
      followers_count: count(p.likes * 3),
    },
    reposts_count: count(p.reposts),
    comments_count: count(p.comments),
    attitudes_count: count(p.likes),
  };
  if (full && p.long) out.longText = { longTextContent: textHtml(whole, app) };
  if (p.repostOf === "deleted") {
    const gone = String(BigInt(p.id) - 17n);
    out.retweeted_status = {
      created_at: "",
      id: gone,
      idstr: gone,
      mid: gone,
      text: '抱歉，此微博已被作者删除。查看帮助：<a  href="https://t.cn/Rfd3rQV" data-hide=""><span class="surl-text">https://t.cn/Rfd3rQV</span></a>',
      user: null,
      deleted: "1",
      visible: { type: 0, list_id: 0 },
    };
  } else if (p.repostOf) {
    out.retweeted_status = mblog(p.repostOf, full);
  }
  return out;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/**
 * The API's created_at: mostly "Sat Dec 23 17:12:54 +0800 2023"; every third post in the relative
 * forms older containers use, written against the real clock as the site would.
 */
function mobileDate(p: SocialPost): string {
  const w = beijingWall(p.at);
  if (p.k % 3 === 0) return relativeDate(p.at, "mobile");
  const weekday = WEEKDAYS[new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay()];
  return `${weekday} ${MONTHS[w.month - 1]} ${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)} +0800 ${w.year}`;
}

/** 刚刚 / N分钟前 / N小时前 / 今天 HH:MM / 昨天 HH:MM, then MM-DD (mobile) or MM月DD日 HH:MM (desktop). */
function relativeDate(at: number, layout: "mobile" | "desktop"): string {
  const now = Date.now();
  const ago = Math.max(0, now - at);
  const w = beijingWall(at);
  const today = beijingWall(now);
  const yesterday = beijingWall(now - 86_400_000);
  const sameDay = (a: typeof w, b: typeof w) => a.year === b.year && a.month === b.month && a.day === b.day;
  if (ago < 60_000) return "刚刚";
  if (ago < 3600_000) return `${Math.floor(ago / 60_000)}分钟前`;
  if (sameDay(w, today)) return ago < 5 * 3600_000 && layout === "mobile" ? `${Math.floor(ago / 3600_000)}小时前` : `今天 ${pad(w.hour)}:${pad(w.minute)}`;
  if (sameDay(w, yesterday)) return `昨天 ${pad(w.hour)}:${pad(w.minute)}`;
  if (w.year !== today.year) return layout === "mobile" ? `${w.year}-${pad(w.month)}-${pad(w.day)}` : `${w.year}年${pad(w.month)}月${pad(w.day)}日 ${pad(w.hour)}:${pad(w.minute)}`;
  return layout === "mobile" ? `${pad(w.month)}-${pad(w.day)}` : `${pad(w.month)}月${pad(w.day)}日 ${pad(w.hour)}:${pad(w.minute)}`;
}

/** s.weibo.com/weibo?q=…&page=N: the logged-in desktop search, card layout of 2020 onwards. */
function desktopSearch(req: SandboxRequest, state: SandboxState, wb: WeiboSandbox, sub: string | undefined, origin: string): SandboxReply {
  const back = encodeURIComponent(`${origin}${req.url.pathname}${req.url.search}`);
  if (!sub) return { status: 302, headers: { location: `${origin}/visitor/visitor?entry=miniblog&a=enter&url=${back}` } };
  if (!isLoggedIn(sub) || wb.refused.has(sub)) return { status: 302, headers: { location: `${origin}/signin/login?entry=miniblog&url=${back}` } };
  const q = req.url.searchParams.get("q") ?? "";
  const page = Math.max(1, Number(req.url.searchParams.get("page") ?? 1) || 1);
  const hits = searchFeed("weibo", q, state);
  const slice = hits.slice((page - 1) * DESKTOP_PAGE_SIZE, page * DESKTOP_PAGE_SIZE);
  const more = page * DESKTOP_PAGE_SIZE < hits.length;
  const body = slice.length
    ? slice.map((p) => desktopCard(p)).join("\n")
    : `<div class="card card-no-result s-pt20b40"><p>抱歉，未找到“${escapeHtml(q)}”相关结果。</p></div>`;
  const next = more ? `<a class="next" href="/weibo?q=${encodeURIComponent(q)}&page=${page + 1}">下一页</a>` : "";
  return {
    status: 200,
    body: `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(q)} - 微博搜索</title></head><body>
<div class="m-main"><div id="pl_feedlist_index"><div class="m-con-l">
${body}
<div class="m-page"><div>${next}</div></div>
</div></div></div></body></html>`,
  };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function desktopText(p: SocialPost): string {
  return escapeHtml(fullText(p)).replace(/\[(怒|doge|汗|赞)\]/g, (_, e: string) => `<img src="//face.t.sinajs.cn/t4/appstyle/expression/ext/normal/${EMOJI[e]}.png" title="[${e}]" alt="[${e}]" class="face" />`);
}

function desktopCard(p: SocialPost): string {
  const full = desktopText(p);
  const short = p.long ? `${escapeHtml(fullText(p).slice(0, 90))} ...<a href="javascript:void(0);" action-type="fl_unfold">展开<i class="wbicon">c</i></a>` : full;
  const fullBlock = p.long
    ? `\n        <p class="txt" node-type="feed_list_content_full" nick-name="${p.author}" style="display: none">${full}<a href="javascript:void(0);" action-type="fl_fold">收起<i class="wbicon">d</i></a></p>`
    : "";
  let repost = "";
  if (p.repostOf === "deleted") {
    repost = `
      <div class="card-comment"><div class="con"><div node-type="feed_list_forwardContent"><p class="txt">抱歉，此微博已被作者删除。查看帮助：<a href="https://t.cn/Rfd3rQV">https://t.cn/Rfd3rQV</a></p></div></div></div>`;
  } else if (p.repostOf) {
    const o = p.repostOf;
    repost = `
      <div class="card-comment"><div class="con">
        <div node-type="feed_list_forwardContent"><a href="//weibo.com/${o.uid}?refer_flag=1001030103_" nick-name="${o.author}" class="name">@${o.author}</a>
          <p class="txt" node-type="feed_list_content" nick-name="${o.author}">${desktopText(o)}</p></div>
        <div class="func"><ul class="act s-fr"><li><a href="javascript:void(0);" action-type="feed_list_like" action-data="mid=${o.id}"><button><span class="woo-like-count">${o.likes}</span></button></a></li></ul>
          <p class="from"><a href="//weibo.com/${o.uid}/${bid(o.id)}?refer_flag=1001030103_" target="_blank">${relativeDate(o.at, "desktop")}</a> 来自 <a href="//app.weibo.com/t/feed/1" rel="nofollow">iPhone客户端</a></p></div>
      </div></div>`;
  }
  return `<div class="card-wrap" action-type="feed_list_item" mid="${p.id}">
  <div class="card">
    <div class="card-feed">
      <div class="avator"><a href="//weibo.com/${p.uid}?refer_flag=1001030103_" target="_blank"><img src="https://tvax1.sinaimg.cn/crop/${p.uid}.jpg" /></a></div>
      <div class="content" node-type="like">
        <div class="info"><div></div><div><a href="//weibo.com/${p.uid}?refer_flag=1001030103_" class="name" target="_blank" nick-name="${p.author}">${p.author}</a></div></div>
        <p class="txt" node-type="feed_list_content" nick-name="${p.author}">${short}</p>${fullBlock}${repost}
        <div class="from"><a href="//weibo.com/${p.uid}/${bid(p.id)}?refer_flag=1001030103_" target="_blank">${relativeDate(p.at, "desktop")}</a> 来自 <a href="//app.weibo.com/t/feed/2" rel="nofollow">${["iPhone 15 Pro", "HUAWEI Mate 60"][p.k % 2]}</a></div>
      </div>
    </div>
    <div class="card-act"><ul>
      <li><a href="javascript:void(0);" action-type="feed_list_forward">转发 ${p.reposts > 0 ? Math.min(p.reposts, 99999) : ""}</a></li>
      <li><a href="javascript:void(0);" action-type="feed_list_comment">评论 ${p.comments || ""}</a></li>
      <li><a href="javascript:void(0);" action-type="feed_list_like" action-data="mid=${p.id}"><button><span class="woo-like-count">${p.likes || "赞"}</span></button></a></li>
    </ul></div>
  </div>
</div><!--/card-wrap-->`;
}
