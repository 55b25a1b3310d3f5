import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { ParseError } from "../../src/errors.ts";
import { parseTaptapReviews, taptap, taptapBase, taptapReviewsUrl } from "../../src/sources/taptap.ts";
import type { CrawlContext, SourceTarget } from "../../src/sources/types.ts";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/taptap/${name}`, import.meta.url), "utf8");
const cnUrl = taptapReviewsUrl("https://www.taptap.cn", "cn", "210001");
const intlUrl = taptapReviewsUrl("https://www.taptap.io", "intl", "210001");

describe("the TapTap reviews parser", () => {
  it("reads a CN page: review id with its region, author, score, text without markup, date and next page", () => {
    const page = parseTaptapReviews(fixture("cn-list-by-app.json"), cnUrl);
    expect(page.items.map((i) => i.externalId)).toEqual(["cn:51234567", "cn:51234560", "cn:51234555"]);
    expect(page.items[0]).toMatchObject({
      url: "https://www.taptap.cn/review/51234567",
      author: "夜猫子",
      title: null,
      text: "更新之后一进游戏就闪退，\n重装了三次都没用，退钱！",
      rating: 1,
      appVersion: null,
      extra: { region: "cn", appId: "210001", ups: 12, device: "Xiaomi 13" },
    });
    expect(page.items[0]!.publishedAt!.toISOString()).toBe("2026-11-22T00:00:00.000Z");
    expect(page.items[1]!.text).toBe("画风很好看&剧情不错，就是体力恢复太慢");
    expect(page.items[2]!.text).toBe("匹配太慢\n经常掉线");
    expect(page.total).toBe(1289);
    const next = new URL(page.next!);
    expect([next.host, next.searchParams.get("from"), next.searchParams.get("X-UA")]).toEqual([
      "www.taptap.cn",
      "10",
      "V=1&PN=WebApp&VN=0.1.0&LANG=zh_CN&PLT=PC",
    ]);
  });

  it("reads an international page: post id, title, summary and the rating given as a string or a number", () => {
    const page = parseTaptapReviews(fixture("intl-by-app.json"), intlUrl);
    expect(page.items.map((i) => [i.externalId, i.rating, i.title])).toEqual([
      ["intl:339912345678901234", 3, "Great gacha, bad servers"],
      ["intl:339912345678900001", 1, null],
    ]);
    expect(page.items[1]).toMatchObject({ author: "Mia", text: "Uninstalled after the last patch, crashes on my Pixel 7", url: "https://www.taptap.io/post/339912345678900001" });
    expect(new URL(page.next!).host).toBe("www.taptap.io");
  });

  it("reads an empty next_page as the last page", () => {
    const page = parseTaptapReviews(fixture("cn-list-by-app-last.json"), cnUrl);
    expect([page.items.length, page.next]).toEqual([1, null]);
  });

  it("throws a ParseError naming TapTap's own message, malformed JSON, a missing list or a next page on another host", () => {
    expect(() => parseTaptapReviews(fixture("error-not-found.json"), cnUrl)).toThrow(ParseError);
    expect(() => parseTaptapReviews(fixture("error-not-found.json"), cnUrl)).toThrow(/应用不存在/);
    expect(() => parseTaptapReviews('{"success":true,"data":{"list":[', cnUrl)).toThrow(/not valid JSON/);
    expect(() => parseTaptapReviews('{"success":true,"data":{"items":[]}}', cnUrl)).toThrow(/data.list/);
    const away = JSON.stringify({ success: true, data: { list: [], next_page: "https://evil.example/x" } });
    expect(() => parseTaptapReviews(away, cnUrl)).toThrow(/another host/);
  });
});

describe("the TapTap plan", () => {
  const target = (taptapId: string | null, taptapRegion: "cn" | "intl"): SourceTarget => ({
    app: { id: 1, name: "喵记", aliases: [], appstoreId: null, appstoreCountries: [], playPackage: null, playLangs: [], taptapId, taptapRegion },
    keywords: [],
  });

  it("reads one list per app, on taptap.cn or taptap.io by region, and refuses an app without an id", async () => {
    expect((await taptap.plan(target("210001", "intl"), {} as CrawlContext)).scopes).toEqual([
      { key: "intl", keyword: null, params: { appId: "210001", region: "intl" } },
    ]);
    const urls = (env: Record<string, string>) => loadConfig(env).sourceUrls;
    expect(taptapBase(urls({}), "intl")).toBe("https://www.taptap.io");
    expect(taptapBase(urls({ EARSHOT_TAPTAP_URL: "https://www.taptap.cn" }), "intl")).toBe("https://www.taptap.io");
    // A mirror or the sandbox serves both regions unless the international one is set apart.
    expect(taptapBase(urls({ EARSHOT_TAPTAP_URL: "http://127.0.0.1:9000" }), "intl")).toBe("http://127.0.0.1:9000");
    expect(taptapBase(urls({ EARSHOT_SANDBOX_URL: "http://127.0.0.1:9000" }), "intl")).toBe("http://127.0.0.1:9000");
    expect(taptapBase(urls({ EARSHOT_SANDBOX_URL: "http://127.0.0.1:9000", EARSHOT_TAPTAP_INTL_URL: "http://127.0.0.1:9001/" }), "intl")).toBe("http://127.0.0.1:9001");
    await expect(taptap.plan(target(null, "cn"), {} as CrawlContext)).rejects.toThrow(/--taptap-id/);
  });

  it("names the one host a run asks, so a block on taptap.cn does not pause taptap.io", () => {
    const config = loadConfig({});
    expect(taptap.hosts!(target("210001", "cn"), config)).toEqual(["www.taptap.cn"]);
    expect(taptap.hosts!(target("210001", "intl"), config)).toEqual(["www.taptap.io"]);
  });
});
