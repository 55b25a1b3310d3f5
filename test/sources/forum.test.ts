import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.ts";
import { forumConfigSchema, forumSearchUrl, readForumConfig } from "../../src/sources/forum.ts";

const selectors = { item: "li.result-item", title: "h3 a", link: "h3 a", text: ".summary" };
const valid = { searchUrl: "https://bbs.example.com/search.php?keyword={query}&page={page}", selectors };

/** The message readForumConfig throws for a config, or null when it accepts it. */
function problem(config: unknown): string | null {
  try {
    readForumConfig(config, "NGA");
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
}

describe("a configured forum's settings", () => {
  it("accepts a search URL with {query} and the four required selectors, filling in the defaults", () => {
    expect(readForumConfig(valid)).toEqual({ ...valid, pageSize: 20, dateFormat: "relative", timeZone: "Asia/Shanghai", render: false, searchAppName: true });
  });

  it("refuses a search URL without {query}, or one that is no URL", () => {
    expect(problem({ ...valid, searchUrl: "https://bbs.example.com/search.php?keyword=app" })).toMatch(/^forum "NGA": searchUrl: searchUrl must contain \{query\}$/);
    expect(problem({ ...valid, searchUrl: "search.php?keyword={query}" })).toMatch(/searchUrl: searchUrl must be a URL/);
  });

  it("refuses a time zone that is not an IANA zone, and takes any that is", () => {
    expect(problem({ ...valid, timeZone: "Beijing" })).toMatch(/timeZone: timeZone must be an IANA time zone such as Asia\/Shanghai/);
    expect(problem({ ...valid, timeZone: "UTC+8" })).toMatch(/timeZone/);
    expect(readForumConfig({ ...valid, timeZone: "America/Sao_Paulo" }).timeZone).toBe("America/Sao_Paulo");
  });

  it("names each missing or empty required selector, and every bad field in one message", () => {
    const message = problem({ searchUrl: "https://bbs.example.com/s?q=x", selectors: { item: "", title: "h3 a" }, timeZone: "Nowhere/Land" });
    for (const field of ["searchUrl", "selectors.item", "selectors.link", "selectors.text", "timeZone"]) expect(message).toContain(`${field}: `);
    expect(message).not.toContain("selectors.title");
    expect(problem({ searchUrl: valid.searchUrl })).toMatch(/selectors: /);
    expect(problem(null)).toMatch(/config: /);
  });

  it("checks optional fields when given: page size, render flag, empty optional selectors", () => {
    expect(problem({ ...valid, pageSize: 0 })).toMatch(/pageSize/);
    expect(problem({ ...valid, render: "yes" })).toMatch(/render/);
    expect(problem({ ...valid, selectors: { ...selectors, date: "" } })).toMatch(/selectors\.date/);
    expect(forumConfigSchema.safeParse({ ...valid, selectors: { ...selectors, author: ".a", date: ".d", next: "a.nxt" } }).success).toBe(true);
  });

  it("builds the search URL with the words encoded and the page or offset filled in", () => {
    expect(forumSearchUrl(readForumConfig(valid), "喵记 闪退", 2)).toBe("https://bbs.example.com/search.php?keyword=%E5%96%B5%E8%AE%B0%20%E9%97%AA%E9%80%80&page=2");
    const byOffset = readForumConfig({ ...valid, searchUrl: "https://bbs.example.com/s?q={query}&start={offset}", pageSize: 25 });
    expect(forumSearchUrl(byOffset, "x", 3)).toBe("https://bbs.example.com/s?q=x&start=50");
  });
});
