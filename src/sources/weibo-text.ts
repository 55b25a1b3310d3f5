/** Weibo's post HTML and counts, read into plain values. */
import { load } from "cheerio";

/**
 * Post HTML → text. The API writes @mentions, #topics# and links as `<a>`, emoji as
 * `<span class="url-icon"><img alt=[doge] …></span>` (kept as their "[doge]" alt text), line breaks
 * as `<br />`, and ends a cut post with `...<a href="/status/…">全文</a>` (dropped; the caller
 * fetches the long text). The desktop page ends its full text with "收起" (dropped too).
 */
export function weiboHtmlToText(html: string): string {
  if (!html) return "";
  const $ = load(`<div id="weibo-text">${html}</div>`, null, false);
  const root = $("#weibo-text");
  root.find("br").replaceWith("\n");
  root.find("img").each((_, el) => {
    const alt = $(el).attr("alt") ?? $(el).attr("title") ?? "";
    $(el).replaceWith(/^\[.+\]$/.test(alt) ? alt : "");
  });
  root.find("a, i").each((_, el) => {
    const label = $(el).text().trim();
    if (label === "全文" || label === "展开" || label === "收起" || /^(展开|收起)[cd]?$/.test(label)) $(el).remove();
  });
  return root
    .text()
    .replace(/[ \t\u00a0]+/g, " ")
    .replace(/ *\n */g, "\n")
    .replace(/(\s*收起\s*[d]?)$/, "")
    .trim();
}

/**
 * A count as Weibo writes it: a number, or a string such as "1.2万", "100万+", "3亿", "转发 12",
 * "赞" (zero). Unreadable values are null.
 */
export function parseWeiboCount(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value !== "string") return null;
  const text = value.replace(/[,，\s]/g, "");
  const m = /(\d+(?:\.\d+)?)(万|亿)?\+?/.exec(text);
  if (!m) return /^(转发|评论|赞|)$/.test(text) ? 0 : null;
  const factor = m[2] === "亿" ? 1e8 : m[2] === "万" ? 1e4 : 1;
  return Math.round(Number(m[1]) * factor);
}
