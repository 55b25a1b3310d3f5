import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decodeBody } from "../../src/fetch/charset.ts";
import { parseTieba, parseTiebaLegacySearch, tiebaSign } from "../../src/sources/tieba.ts";

const path = (name: string) => fileURLToPath(new URL(`../fixtures/tieba/${name}`, import.meta.url));
const fixture = (name: string) => readFileSync(path(name), "utf8");

describe("the Tieba parsers", () => {
  it("reads the legacy GBK search page once decoded: thread and reply ids, forum, author, Beijing date", () => {
    const raw = readFileSync(path("search-legacy-gbk.html"));
    const body = decodeBody(raw, "text/html; charset=gbk").text;
    const page = parseTiebaLegacySearch(body, "https://tieba.baidu.com/f/search/res?qw=x");
    expect(page.hasNext).toBe(true);
    expect(page.items[0]).toMatchObject({
      externalId: "9117888152#150718967291",
      url: "https://tieba.baidu.com/p/9117888152?pid=150718967291#150718967291",
      author: "小鱼干",
      title: "喵记又闪退了",
      text: "更新之后一打开就闪退，重装也没用……",
      publishedRaw: "2024-08-05 16:45",
      extra: { tid: "9117888152", pid: "150718967291", forum: "喵记" },
    });
    expect(page.items[0]!.publishedAt?.toISOString()).toBe("2024-08-05T08:45:00.000Z");
    expect(page.items).toHaveLength(2);
  });

  it("reads the rendered 2026 card layout, date only", () => {
    const [item] = parseTieba(fixture("search-2026-cards.html")).items;
    expect(item).toMatchObject({ externalId: "10559655942", author: "小鱼干", title: "喵记又闪退了", text: "更新之后一打开就闪退", extra: { forum: "喵记" } });
    expect(item!.publishedAt?.toISOString()).toBe("2026-03-06T16:00:00.000Z");
  });

  it("recognises the 2026 page before its script ran as needing a browser", () => {
    expect(parseTieba(fixture("search-2026-shell.html"))).toEqual({ items: [], hasNext: false, needsBrowser: true });
  });

  it("keeps only thread cards of the signed JSON search, dated from unix seconds", () => {
    const page = parseTieba(fixture("multsearch.json"));
    expect(page.items.map((i) => i.externalId)).toEqual(["10559655942"]);
    expect(page.items[0]!.publishedAt?.toISOString()).toBe("2026-03-15T05:30:43.000Z");
    expect(page.hasNext).toBe(true);
  });

  it("leaves pinned threads out of a thread list", () => {
    const page = parseTieba(fixture("frs-page.json"));
    expect(page.items.map((i) => i.externalId)).toEqual(["9117888152"]);
    expect(page.items[0]).toMatchObject({ author: "小鱼干", text: "更新之后一打开就闪退", extra: { forum: "喵记", replies: 4 } });
    expect(page.hasNext).toBe(false);
  });

  it("names the security page and unknown layouts instead of returning no results", () => {
    expect(() => parseTieba(fixture("security.html"), "https://tieba.baidu.com/f/search/res")).toThrow(/安全验证/);
    expect(() => parseTieba("<html><body><div class='new-layout'>x</div></body></html>", "https://tieba.baidu.com/f/search/res")).toThrow(/layout changed/);
    expect(() => parseTieba('{"error_code":"340001","error_msg":"贴吧不存在"}')).toThrow(/贴吧不存在/);
  });

  it("signs requests as Baidu's clients do: md5 of sorted k=v pairs and the salt", () => {
    expect(tiebaSign({ b: "2", a: "1", sign: "x" }, "salt")).toBe("c2e4391ebe3288c7287c306fa0699c3a");
  });
});
