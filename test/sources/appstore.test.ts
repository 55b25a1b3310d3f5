import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../src/errors.ts";
import { appstore, parseAppstoreFeed } from "../../src/sources/appstore.ts";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/appstore/${name}`, import.meta.url), "utf8");
const sample = new URL("../../../shared/samples/apple_reviews/alldmeat_ru_894649641_2019-10.json", import.meta.url);

describe("the App Store feed parser", () => {
  it("reads a page whose `entry` is a single object, keeping text as text and the date as an instant", () => {
    const [r, ...rest] = appstore.parse(fixture("single-review-cn.json"));
    expect(rest).toHaveLength(0);
    expect(r).toMatchObject({
      externalId: "cn:11800000001",
      author: "夜猫子",
      title: "登录后闪退",
      text: "输入验证码以后直接闪退，<b>重装</b>也没用 &amp; 客服不回",
      rating: 1,
      appVersion: "2.0.1",
      url: "https://apps.apple.com/cn/app/id1500000009?see-all=reviews",
    });
    expect(r!.publishedAt!.toISOString()).toBe("2026-11-02T06:05:00.000Z");
  });

  it("skips the app-metadata entry and entries without an id, and accepts reviews without a date", () => {
    const items = appstore.parse(fixture("metadata-and-undated-us.json"));
    expect(items.map((i) => i.externalId)).toEqual(["us:11800000777"]);
    expect(items[0]!.publishedAt).toBeNull();
  });

  it("reads an empty page (no `entry`) as no reviews and finds the last page from the feed links", () => {
    const body = JSON.stringify({ feed: { link: [{ attributes: { rel: "last", href: "https://itunes.apple.com/jp/rss/customerreviews/page=4/id=1/sortby=mostrecent/xml" } }] } });
    expect(parseAppstoreFeed(body, "https://itunes.apple.com/jp/rss/customerreviews/page=5/id=1/sortby=mostrecent/json")).toEqual({ items: [], lastPage: 4 });
  });

  it("throws a ParseError that says what is wrong with malformed JSON or a page that is not a feed", () => {
    expect(() => appstore.parse('{"feed": {"entry": [')).toThrow(ParseError);
    expect(() => appstore.parse('{"feed": {"entry": [')).toThrow(/not valid JSON/);
    expect(() => appstore.parse("<html>captcha</html>")).toThrow(/not valid JSON/);
    expect(() => appstore.parse('{"error": "x"}')).toThrow(/no `feed` object/);
  });

  it.runIf(existsSync(sample))("reads the 50 reviews of a real captured feed", () => {
    const items = appstore.parse(readFileSync(sample, "utf8"));
    expect(items).toHaveLength(50);
    expect(items.every((i) => i.externalId.startsWith("ru:") && i.rating! >= 1 && i.rating! <= 5 && i.text.length > 0)).toBe(true);
    expect(new Set(items.map((i) => i.rating))).toEqual(new Set([1, 2, 3, 4, 5]));
  });
});
