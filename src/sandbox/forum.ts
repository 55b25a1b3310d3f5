/**
 * Two long-tail forums an admin describes by configuration (search URL template + selectors):
 *  - `/forum/search.php?keyword=…&page=N`: a server-rendered page (a Discuz-like vendor
 *    community), dates "2026-11-20 14:03" in Beijing time;
 *  - `/forum-js/search?q=…&page=N`: an empty shell whose script fetches `/forum-js/api/search`
 *    and renders the results, so only a browser sees them; dates "20/11/2026 14:03". It also
 *    asks for a banner image and a web font, which a browser told to block them never requests.
 */
import { formatBeijing } from "../sources/dates.ts";
import { fullText, searchFeed, shortId, type SocialPost } from "./posts.ts";
import type { SandboxRoute } from "./server.ts";

const PAGE_SIZE = 10;

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function page(posts: SocialPost[], n: number) {
  return { slice: posts.slice((n - 1) * PAGE_SIZE, n * PAGE_SIZE), more: n * PAGE_SIZE < posts.length };
}

export const forumRoutes: SandboxRoute = (req, state) => {
  const path = req.url.pathname;
  const n = Math.max(1, Number(req.url.searchParams.get("page") ?? 1) || 1);
  if (path === "/forum/search.php") {
    const q = req.url.searchParams.get("keyword") ?? "";
    const { slice, more } = page(searchFeed("forum", q, state).filter((p) => p.repostOf === null), n);
    const items = slice
      .map(
        (p) => `    <li class="result-item">
      <h3 class="result-title"><a href="/forum/thread-${shortId(p, 6)}-1-1.html">${escapeHtml(p.title)}</a></h3>
      <div class="result-summary">${escapeHtml(fullText(p))}</div>
      <p class="result-meta"><span class="result-author">${escapeHtml(p.author)}</span> 发表于 <span class="result-date">${formatBeijing(p.at)}</span></p>
    </li>`,
      )
      .join("\n");
    return {
      status: 200,
      body: `<!DOCTYPE html><html><head><meta charset="utf-8"><title>搜索 - 喵友社区</title></head><body>
<div id="ct"><ul class="result-list">
${items || '<li class="no-result">没有找到相关内容</li>'}
</ul>${more ? `<a class="nxt" href="/forum/search.php?keyword=${encodeURIComponent(q)}&page=${n + 1}">下一页</a>` : ""}</div></body></html>`,
    };
  }
  if (path === "/forum-js/search") {
    return {
      status: 200,
      body: `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Search · QuickRun Community</title>
<style>@font-face { font-family: brand; src: url(/forum-js/brand.woff2); } body { font-family: brand; }</style></head>
<body><img class="banner" src="/forum-js/banner.png" alt=""><main id="results" data-state="loading">Loading…</main>
<script>
var params = new URLSearchParams(location.search);
setTimeout(function () {
  fetch("/forum-js/api/search?q=" + encodeURIComponent(params.get("q") || "") + "&page=" + (params.get("page") || "1"))
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var main = document.getElementById("results");
      main.innerHTML = "";
      data.results.forEach(function (r) {
        var card = document.createElement("article");
        card.className = "post-card";
        card.innerHTML = '<h2 class="post-title"><a></a></h2><div class="post-body"></div><footer><span class="post-user"></span> · <time class="post-time"></time></footer>';
        card.querySelector("a").href = r.url;
        card.querySelector("a").textContent = r.title;
        card.querySelector(".post-body").textContent = r.body;
        card.querySelector(".post-user").textContent = r.user;
        card.querySelector(".post-time").textContent = r.time;
        main.appendChild(card);
      });
      if (!data.results.length) main.innerHTML = '<p class="empty">No results</p>';
      if (data.more) {
        var next = document.createElement("a");
        next.className = "next-page";
        params.set("page", String(Number(params.get("page") || "1") + 1));
        next.href = "?" + params.toString();
        next.textContent = "Next";
        main.appendChild(next);
      }
      main.setAttribute("data-state", "done");
    });
}, 50);
</script></body></html>`,
    };
  }
  if (path === "/forum-js/api/search") {
    const q = req.url.searchParams.get("q") ?? "";
    const { slice, more } = page(searchFeed("forum-js", q, state).filter((p) => p.repostOf === null), n);
    return {
      status: 200,
      json: {
        results: slice.map((p) => ({
          url: `/forum-js/t/${shortId(p, 6)}`,
          title: p.title,
          body: fullText(p),
          user: p.author,
          time: formatBeijing(p.at).replace(/^(\d{4})-(\d{2})-(\d{2})/, "$3/$2/$1"),
        })),
        more,
      },
    };
  }
  if (path === "/forum-js/banner.png") return { status: 200, headers: { "content-type": "image/png" }, body: Buffer.from("89504e470d0a1a0a", "hex") };
  if (path === "/forum-js/brand.woff2") return { status: 200, headers: { "content-type": "font/woff2" }, body: "" };
  return null;
};
