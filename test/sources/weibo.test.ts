import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../src/errors.ts";
import { flattenReposts } from "../../src/pipeline/normalise.ts";
import { parseWeibo } from "../../src/sources/weibo.ts";
import { parseWeiboDesktop } from "../../src/sources/weibo-desktop.ts";
import { parseWeiboApi, parseWeiboLongText } from "../../src/sources/weibo-mobile.ts";
import { parseWeiboCount, weiboHtmlToText } from "../../src/sources/weibo-text.ts";

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/weibo/${name}`, import.meta.url)), "utf8");
const shared = fileURLToPath(new URL("../../../shared/samples/", import.meta.url));
const timeline = `${shared}weibo_m_api/zhangfaliang_getIndex_user_timeline_5529945701.json`;
const oldDesktop = `${shared}weibo_s_search_html/spiderclub_s_weibo_search_2017-05-11.html`;
const now = Date.UTC(2024, 0, 2, 4, 0, 0);

describe("the Weibo mobile API parser", () => {
  const page = parseWeiboApi(fixture("search-realtime.json"), "https://m.weibo.cn/api/container/getIndex?page=1", { now });

  it("reads card_type 9 posts at the top level and inside card groups, skipping other cards", () => {
    expect(page.state.kind).toBe("ok");
    expect(page.items.map((i) => i.externalId)).toEqual(["4983311112223334", "4983311112220001", "4983311112220002", "4983311112220003"]);
    expect(page.nextPage).toBe(2);
  });

  it("keys a post on its id, links it by uid and bid, and keeps emoji alt text in clean text", () => {
    const first = page.items[0]!;
    expect(first.url).toBe("https://weibo.com/5437792542/NwXyZ1a2b");
    expect(first.author).toBe("旅行的猫");
    expect(first.text).toBe("#喵记# 又闪退了，刚写的笔记全没了[怒]\n有人一样吗 @喵记客服");
    expect(first.publishedAt?.toISOString()).toBe("2023-12-23T09:12:54.000Z");
    expect(first.publishedRaw).toBe("Sat Dec 23 17:12:54 +0800 2023");
    expect(first.extra).toMatchObject({ bid: "NwXyZ1a2b", uid: "5437792542", reposts: 1_000_000, comments: 12_000, likes: 35 });
  });

  it("drops the 全文 link of a cut post and marks it for a long-text fetch", () => {
    const long = page.items[1]!;
    expect(long.text.endsWith("...")).toBe(true);
    expect(long.text).not.toContain("全文");
    expect(long.extra?.truncated).toBe(true);
    expect(long.extra?.likes).toBe(25_000);
  });

  it("turns a repost's original into a mention of its own, linked from the repost", () => {
    const repost = page.items[2]!;
    expect(repost.reposted?.externalId).toBe("4983311112210000");
    expect(repost.reposted?.author).toBe("一只兔子");
    const flat = flattenReposts([repost]);
    expect(flat.map((m) => m.externalId)).toEqual(["4983311112210000", "4983311112220002"]);
    expect(flat[1]!.extra?.repostOf).toBe("4983311112210000");
  });

  it("keeps a deleted original with no author and no date instead of failing", () => {
    const gone = page.items[3]!.reposted!;
    expect(gone.author).toBeNull();
    expect(gone.publishedAt).toBeNull();
    expect(gone.extra?.deleted).toBe(true);
    expect(gone.text).toMatch(/^抱歉，此微博已被作者删除/);
  });

  it("treats 这里还没有内容 as the end of the results, not an error", () => {
    expect(parseWeiboApi(fixture("search-end.json"))).toEqual({ state: { kind: "end" }, items: [], nextPage: null });
  });

  it("reports ok: -100 as expired cookies", () => {
    expect(parseWeiboApi(fixture("search-expired.json")).state.kind).toBe("expired");
  });

  it("names the page when the answer is an HTML error page or lacks cards", () => {
    expect(() => parseWeiboApi("<html>出错了，未知错误</html>", "https://m.weibo.cn/api/x")).toThrow(/not JSON.*error page/);
    expect(() => parseWeiboApi('{"ok":1,"data":{}}', "https://m.weibo.cn/api/x")).toThrow(ParseError);
  });

  it("reads the long text from statuses/show and from a detail page", () => {
    expect(parseWeiboLongText(fixture("statuses-show.json"))).toBe(
      "喵记更新以后一打开就闪退，具体情况是这样的：每次打开之后过几秒就会自动退出，之前的版本从来没有这个问题。\n我试过卸载重装、清理缓存，问题依旧。",
    );
    expect(parseWeiboLongText(fixture("detail.html"))).toBe("喵记更新以后一打开就闪退，之前的版本从来没有这个问题。\n我试过卸载重装。");
  });

  it.runIf(existsSync(timeline))("reads the captured user timeline, relative dates and reposts included", () => {
    const items = parseWeibo(readFileSync(timeline, "utf8"));
    expect(items).toHaveLength(11);
    expect(items.every((i) => /^\d{16}$/.test(i.externalId) && i.text.length > 0)).toBe(true);
    expect(items[0]!.reposted?.externalId).toBe("4387930325701338");
    expect(items[0]!.text).toContain("[doge]");
    expect(items.filter((i) => i.publishedAt === null)).toHaveLength(0);
    expect(items.some((i) => i.extra?.truncated)).toBe(true);
  });
});

describe("the Weibo desktop search parser", () => {
  it("reads result cards: full text over the cut one, author, time, counts and the repost block", () => {
    const page = parseWeiboDesktop(fixture("desktop-search.html"), "https://s.weibo.com/weibo?q=x", { now });
    expect(page.hasNext).toBe(true);
    const [first, second] = page.items;
    expect(first).toMatchObject({
      externalId: "4983311112223334",
      url: "https://weibo.com/5437792542/NwXyZ1a2b",
      author: "旅行的猫",
      text: "喵记更新以后一打开就闪退，每次打开之后过几秒就会自动退出[怒]，重装也没用",
      publishedRaw: "12月23日 17:12",
    });
    expect(first!.publishedAt?.toISOString()).toBe("2023-12-23T09:12:00.000Z");
    expect(first!.extra).toMatchObject({ reposts: 12_000, comments: 36, likes: 0, client: "iPhone 15 Pro" });
    expect(second!.text).toBe("同样的问题[doge]");
    expect(second!.reposted).toMatchObject({ externalId: "4983311112210000", author: "一只兔子", text: "喵记闪退加卡顿，真的服了", url: "https://weibo.com/5460321773/NwXyY0000" });
    expect(second!.reposted!.publishedAt?.toISOString()).toBe("2023-12-22T01:30:00.000Z");
  });

  it("takes a card's own text, author, time and client from outside its repost block, wherever that block stands", () => {
    const body = `<html><body><div class="card-wrap" action-type="feed_list_item" mid="5000000000000001"><div class="card"><div class="content">
      <div class="card-comment"><div node-type="feed_list_forwardContent"><a class="name" nick-name="原作者" href="//weibo.com/222">@原作者</a>
        <p class="txt" node-type="feed_list_content" nick-name="原作者">原文<br/>第二行</p></div>
        <p class="from"><a href="//weibo.com/222/OrigBid1">昨天 10:00</a> 来自 <a>Android</a></p>
        <div class="func"><a action-type="feed_list_like" action-data="mid=5000000000000000">赞 3</a></div></div>
      <div class="info"><a class="name" nick-name="转发者" href="//weibo.com/111">转发者</a></div>
      <p class="txt" node-type="feed_list_content" nick-name="转发者">转发理由 <img alt="[doge]" src="d.png"></p>
      <div class="from"><a href="//weibo.com/111/OwnBid22">3分钟前</a> 来自 <a>iPad</a></div></div>
      <div class="card-act"><ul><li><a action-type="feed_list_forward">转发 5</a></li><li><a action-type="feed_list_comment">评论</a></li><li><a action-type="feed_list_like">赞 1.1万</a></li></ul></div>
      </div></div><a class="next" href="?page=2">下一页</a></body></html>`;
    const page = parseWeiboDesktop(body, "https://s.weibo.com/weibo?q=x", { now });
    expect(page).toMatchObject({ hasNext: true, noResults: false });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      externalId: "5000000000000001",
      url: "https://weibo.com/111/OwnBid22",
      author: "转发者",
      text: "转发理由 [doge]",
      publishedRaw: "3分钟前",
      extra: { reposts: 5, comments: 0, likes: 11_000, client: "iPad" },
      reposted: { externalId: "5000000000000000", author: "原作者", text: "原文\n第二行", url: "https://weibo.com/222/OrigBid1", publishedRaw: "昨天 10:00" },
    });
  });

  it("reads the no-result card as an empty last page", () => {
    expect(parseWeiboDesktop(fixture("desktop-no-result.html"))).toEqual({ items: [], hasNext: false, noResults: true });
  });

  it("reports an unknown layout as a layout change naming the page, not as no results", () => {
    expect(() => parseWeiboDesktop(fixture("desktop-unknown-layout.html"), "https://s.weibo.com/weibo?q=a")).toThrow(
      /https:\/\/s\.weibo\.com\/weibo\?q=a.*layout changed/,
    );
  });

  it.runIf(existsSync(oldDesktop))("reports the captured 2017 page as a layout change", () => {
    const body = readFileSync(oldDesktop, "utf8");
    expect(() => parseWeibo(body, "https://s.weibo.com/weibo/x")).toThrow(/2017 s\.weibo\.com layout/);
  });
});

describe("Weibo text and counts", () => {
  it("reads counts written as numbers, 万, 亿 and 万+", () => {
    expect([5, "5", "1.2万", "100万+", "3亿", "转发 12", "赞", "", null].map(parseWeiboCount)).toEqual([5, 5, 12_000, 1_000_000, 300_000_000, 12, 0, 0, null]);
  });

  it("keeps link text, emoji alt text and line breaks, and drops 全文", () => {
    expect(weiboHtmlToText('a<br />b <a href="/n/x">@x</a> <span class="url-icon"><img alt=[doge] src="d.png"></span>...<a href="/status/1">全文</a>')).toBe("a\nb @x [doge]...");
  });
});

describe("earshot parse weibo", () => {
  it("detects each saved format from its content", () => {
    expect(parseWeibo(fixture("search-realtime.json"))).toHaveLength(4);
    expect(parseWeibo(fixture("statuses-show.json"))[0]!.text).toContain("问题依旧");
    expect(parseWeibo(fixture("detail.html"))[0]!.externalId).toBe("4983311112220001");
    expect(parseWeibo(fixture("desktop-search.html"))).toHaveLength(2);
    expect(parseWeibo(fixture("search-end.json"))).toEqual([]);
    expect(() => parseWeibo(fixture("search-expired.json"))).toThrow(/ok: -100/);
    expect(() => parseWeibo("hello")).toThrow(ParseError);
  });
});
