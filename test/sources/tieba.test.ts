import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decodeBody } from "../../src/fetch/charset.ts";
import { tieba, parseTieba } from "../../src/sources/tieba.ts";
import { tiebaSign } from "../../src/sources/tieba-common.ts";
import { parseTiebaMobileList } from "../../src/sources/tieba-lists.ts";
import { parseTiebaLegacySearch } from "../../src/sources/tieba-search.ts";
import { parseTiebaThreadHtml } from "../../src/sources/tieba-thread.ts";

const path = (name: string) => fileURLToPath(new URL(`../fixtures/tieba/${name}`, import.meta.url));
const fixture = (name: string) => readFileSync(path(name), "utf8");
const legacy = () => parseTiebaLegacySearch(decodeBody(readFileSync(path("search-legacy-gbk.html")), "text/html; charset=gbk").text, "https://tieba.baidu.com/f/search/res?qw=x");
/** 2024-08-05 17:00 in Beijing: the mobile list's "16:45" is today. */
const NOW = Date.parse("2024-08-05T09:00:00Z");

describe("the Tieba parsers", () => {
  it("reads the legacy GBK search page once decoded: a hit on an opening post is the thread, with forum, author and Beijing date", () => {
    const page = legacy();
    expect(page.hasNext).toBe(true);
    expect(page.items[0]).toMatchObject({
      externalId: "9117888152",
      url: "https://tieba.baidu.com/p/9117888152",
      author: "小鱼干",
      title: "喵记又闪退了",
      text: "更新之后一打开就闪退，重装也没用……",
      publishedRaw: "2024-08-05 16:45",
      extra: { tid: "9117888152", pid: "150718967291", forum: "喵记" },
    });
    expect(page.items[0]!.publishedAt?.toISOString()).toBe("2024-08-05T08:45:00.000Z");
    expect(page.items).toHaveLength(2);
  });

  it("keys a search hit on a reply (titled 回复：) by its pid, linked to its floor", () => {
    expect(legacy().items[1]).toMatchObject({
      externalId: "150700000002",
      url: "https://tieba.baidu.com/p/9117000001?pid=150700000002#150700000002",
      title: null,
      text: "我也闪退",
      extra: { tid: "9117000001", pid: "150700000002", threadTitle: "求助" },
    });
  });

  it("reads the rendered 2026 card layout, date only", () => {
    const [item] = parseTieba(fixture("search-2026-cards.html")).items;
    expect(item).toMatchObject({ externalId: "10559655942", author: "小鱼干", title: "喵记又闪退了", text: "更新之后一打开就闪退", extra: { forum: "喵记" } });
    expect(item!.publishedAt?.toISOString()).toBe("2026-03-06T16:00:00.000Z");
  });

  it("recognises the 2026 page before its script ran as needing a browser, and says so when asked to parse it", () => {
    expect(parseTieba(fixture("search-2026-shell.html"))).toEqual({ items: [], hasNext: false, needsBrowser: true });
    expect(() => tieba.parse(fixture("search-2026-shell.html"))).toThrow(/2026 search page before its script ran.*browser/);
  });

  it("keeps only thread cards of the signed JSON search, keyed by tid and dated from unix seconds", () => {
    const page = parseTieba(fixture("multsearch.json"));
    expect(page.items.map((i) => i.externalId)).toEqual(["10559655942"]);
    expect(page.items[0]!.publishedAt?.toISOString()).toBe("2026-03-15T05:30:43.000Z");
    expect(page.hasNext).toBe(true);
  });

  it("leaves pinned threads out of the client API's thread list", () => {
    const page = parseTieba(fixture("frs-page.json"));
    expect(page.items.map((i) => i.externalId)).toEqual(["9117888152"]);
    expect(page.items[0]).toMatchObject({ author: "小鱼干", text: "更新之后一打开就闪退", extra: { forum: "喵记", replies: 4 } });
    expect(page.hasNext).toBe(false);
  });

  it("reads the mobile thread list: li items by data-tid, the 置顶 thread left out, each time label form, the next page's link", () => {
    const page = parseTiebaMobileList(fixture("mobile-list.html"), "https://tieba.baidu.com/mo/q/m?kw=喵记", NOW);
    expect(page.items.map((i) => i.externalId)).toEqual(["9117888152", "9117000001", "9055500003"]);
    expect(page.items[0]).toMatchObject({ url: "https://tieba.baidu.com/p/9117888152", author: "小鱼干", title: "喵记又闪退了", publishedRaw: "16:45", extra: { tid: "9117888152", replies: 4 } });
    // A day alone is no time: it would sort an evening's thread below one seen at noon.
    expect(page.items.map((i) => i.publishedAt?.toISOString() ?? null)).toEqual(["2024-08-05T08:45:00.000Z", null, null]);
    expect(page.items.map((i) => i.publishedRaw)).toEqual(["16:45", "08-04", "2023-12-31"]);
    expect(page.items[2]!.extra).toEqual({ tid: "9055500003" });
    expect(page.nextUrl).toBe("/mo/q/m?kw=%E5%96%B5%E8%AE%B0&pn=30&lm=0&cid=0");
    expect(parseTieba(fixture("mobile-list.html")).items).toHaveLength(3);
  });

  it("reads a mobile list time of day later than now as yesterday's", () => {
    const page = parseTiebaMobileList(fixture("mobile-list.html"), undefined, Date.parse("2024-08-05T08:00:00Z"));
    expect(page.items[0]!.publishedAt?.toISOString()).toBe("2024-08-04T08:45:00.000Z");
  });

  it("reads the legacy thread page: the first floor is the thread (tid), the others replies (pid); empty data-fields are skipped", () => {
    const thread = parseTiebaThreadHtml(fixture("thread.html"), "https://tieba.baidu.com/p/9117000001");
    expect(thread.first).toMatchObject({
      externalId: "9117000001",
      url: "https://tieba.baidu.com/p/9117000001",
      title: "求助",
      author: "晴天",
      text: "有人知道喵记怎么导出数据吗？找了半天",
      publishedRaw: "2024-08-03 21:10",
      extra: { tid: "9117000001", pid: "150700000001", forum: "喵记", floor: 1, ip: "北京" },
    });
    expect(thread.first!.publishedAt?.toISOString()).toBe("2024-08-03T13:10:00.000Z");
    expect(thread.replies.map((r) => [r.externalId, r.author, r.text, r.extra?.floor])).toEqual([
      ["150700000002", "晴天", "我也闪退，一打开就退出", 2],
      ["150700000003", "momo", "设置里有导出，选“全部笔记”", 3],
    ]);
    expect(thread.replies[0]).toMatchObject({ url: "https://tieba.baidu.com/p/9117000001?pid=150700000002#150700000002", title: null, extra: { threadTitle: "求助", comments: 1, ip: "上海" } });
  });

  it("reads the page_pc JSON: first floor, replies with names from user_list, emoticons as [name], images dropped", () => {
    const items = parseTieba(fixture("page-pc.json")).items;
    expect(items.map((i) => i.externalId)).toEqual(["9117888152", "150718970001", "150718975002"]);
    expect(items[0]).toMatchObject({ title: "喵记又闪退了", author: "小鱼干", text: "更新之后一打开就闪退，重装也没用……[泪]", extra: { pid: "150718967291", floor: 1, ip: "广东" } });
    expect(items[0]!.publishedAt?.toISOString()).toBe("2024-08-05T08:45:00.000Z");
    expect(items[1]).toMatchObject({ author: "晴天", text: "同样的问题，@小鱼干 你是什么机型", extra: { tid: "9117888152", floor: 2, comments: 1 } });
    expect(items[2]!.author).toBe("momo");
  });

  it("gives a post reached two ways one key: a search hit and its thread page", () => {
    const hits = legacy().items;
    const fromHtml = parseTieba(fixture("thread.html"), "https://tieba.baidu.com/p/9117000001").items;
    const fromJson = parseTieba(fixture("page-pc.json")).items;
    // The reply hit is floor 2 of its thread; the hit on an opening post is the thread page's first floor.
    expect(fromHtml.map((i) => i.externalId)).toContain(hits[1]!.externalId);
    expect(fromJson[0]!.externalId).toBe(hits[0]!.externalId);
  });

  it("names the security page, deleted threads and unknown layouts instead of returning no results", () => {
    expect(() => parseTieba(fixture("security.html"), "https://tieba.baidu.com/f/search/res")).toThrow(/安全验证/);
    expect(() => parseTieba("<html><body><div class='new-layout'>x</div></body></html>", "https://tieba.baidu.com/f/search/res")).toThrow(/layout changed/);
    expect(() => parseTieba('{"error_code":"340001","error_msg":"贴吧不存在"}')).toThrow(/贴吧不存在/);
    expect(() => parseTieba('{"error_code":4,"error_msg":"贴子已被删除","post_list":[]}')).toThrow(/贴子已被删除/);
    expect(() => parseTiebaMobileList("<html><body><div>抱歉，根据相关法律法规和政策，本吧暂不开放。</div></body></html>")).toThrow(/closed or does not exist/);
    expect(() => parseTiebaMobileList("<html><body><ul class='feed'><li>x</li></ul></body></html>")).toThrow(/layout changed/);
    expect(parseTiebaThreadHtml("<html><body><div class='page404'>很抱歉，该贴已被删除。</div></body></html>", "https://tieba.baidu.com/p/1")).toEqual({ tid: "1", first: null, replies: [], gone: true });
    expect(() => parseTiebaThreadHtml("<html><body><div class='pb-new'>x</div></body></html>")).toThrow(/layout changed/);
  });

  it("signs requests as Baidu's clients do: md5 of sorted k=v pairs and the salt", () => {
    expect(tiebaSign({ b: "2", a: "1", sign: "x" }, "salt")).toBe("c2e4391ebe3288c7287c306fa0699c3a");
  });
});
