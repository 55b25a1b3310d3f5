import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { discourseSearchUrl, parseDiscourseSearch } from "../../src/sources/discourse.ts";

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/discourse/${name}`, import.meta.url)), "utf8");

describe("the Discourse search parser", () => {
  it("joins posts to their topics and builds post URLs from slug, topic id and post number", () => {
    const page = parseDiscourseSearch(fixture("search-latest.json"), "https://forum.example.com/search.json?q=x");
    expect(page.more).toBe(true);
    expect(page.items[0]).toMatchObject({
      externalId: "forum.example.com:50112",
      url: "https://forum.example.com/t/3-4/1207/4",
      author: "xiaoyugan",
      title: "3.4 版本闪退",
      text: "更新到 3.4 以后一打开就 闪退，重装也没用 & 客服没回…",
      publishedRaw: "2024-03-05T02:25:11.000Z",
      extra: { postId: 50112, topicId: 1207, postNumber: 4, likes: 3, categoryId: 4, tags: ["bug"] },
    });
    expect(page.items[0]!.publishedAt?.toISOString()).toBe("2024-03-05T02:25:11.000Z");
    expect(page.items[1]!.url).toBe("https://forum.example.com/t/ios/1199/1");
  });

  it("keeps instances under a path apart and reads an empty search as the last page", () => {
    const page = parseDiscourseSearch(fixture("search-latest.json"), undefined, "https://example.com/community/");
    expect(page.items[0]!.externalId).toBe("example.com/community:50112");
    expect(page.items[0]!.url).toBe("https://example.com/community/t/3-4/1207/4");
    expect(parseDiscourseSearch(fixture("search-empty.json"), "https://forum.example.com/search.json?q=x")).toEqual({ items: [], more: false });
  });

  it("names the page and the site's own error when the answer is not a search result", () => {
    expect(() => parseDiscourseSearch(fixture("search-error.json"), "https://forum.example.com/search.json?q=a")).toThrow(/at least 2 characters.*forum\.example\.com/);
    expect(() => parseDiscourseSearch("<html>", "https://forum.example.com/search.json?q=a")).toThrow(/not JSON/);
  });

  it("asks for the newest posts first", () => {
    expect(discourseSearchUrl("https://forum.example.com/", "喵记 闪退", 2)).toBe(
      `https://forum.example.com/search.json?q=${encodeURIComponent("喵记 闪退 order:latest")}&page=2`,
    );
  });
});
