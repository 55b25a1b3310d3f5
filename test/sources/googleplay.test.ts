import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { ParseError } from "../../src/errors.ts";
import type { FetchRequest } from "../../src/fetch/types.ts";
import { googleplay, parseGooglePlayReviews, playLocale, playReviewsRequestBody } from "../../src/sources/googleplay.ts";
import type { CrawlContext, SourceTarget } from "../../src/sources/types.ts";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/googleplay/${name}`, import.meta.url), "utf8");
const sample = new URL(
  "../../../shared/samples/google_play/mradex77_batchexecute_UsvDTd_com.google.android.apps.translate_translate-page2.txt",
  import.meta.url,
);
const url = "https://play.google.com/_/PlayStoreUi/data/batchexecute?rpcids=UsvDTd&hl=en&gl=us";

describe("the Google Play reviews parser", () => {
  it("reads a page after the )]}' prefix: id, author, stars, text, date to the millisecond, version and token", () => {
    const page = parseGooglePlayReviews(fixture("reviews-page1.txt"), { url, packageName: "com.example.notes" });
    expect(page.nextToken).toBe("CpYBEpMBCgwI0rS7mQYQgMbJ4QISggFBQ0xxUjRoc2ZqWk1mRnM");
    expect(page.items).toHaveLength(4);
    expect(page.items[0]).toMatchObject({
      externalId: "3f1c2a9e-7b41-4d0a-9c55-0e8f6a1b2c3d",
      author: "Hannah Berg",
      title: null,
      text: "Crashes every time I open a shared note since 5.2. Please fix!",
      rating: 1,
      appVersion: "5.2.0",
      url: "https://play.google.com/store/apps/details?id=com.example.notes&reviewId=3f1c2a9e-7b41-4d0a-9c55-0e8f6a1b2c3d",
      extra: { lang: "en", country: "us", thumbsUp: 14, replyText: "Sorry about that! 5.2.1 fixes the crash on shared notes." },
    });
    expect(page.items[0]!.publishedAt!.toISOString()).toBe("2026-11-22T00:00:00.512Z");
    expect(page.items[3]!.publishedAt!.toISOString()).toBe("2026-11-21T21:00:00.999Z");
  });

  it("keeps Chinese and Japanese text as written, a missing version as null and an empty text as empty", () => {
    const [, zh, ja, empty] = parseGooglePlayReviews(fixture("reviews-page1.txt")).items;
    expect([zh!.text, zh!.appVersion, zh!.rating]).toEqual(["更新后同步特别慢，经常卡在转圈", null, 2]);
    expect(ja!.text).toBe("とても使いやすいです。毎日使っています。");
    expect(empty!.text).toBe("");
    expect(zh!.url).toBeNull(); // no package given: no link
  });

  it("reads a last page (no token) and a null payload, as a string or as null, as the end of the list", () => {
    expect(parseGooglePlayReviews(fixture("reviews-last.txt")).nextToken).toBeNull();
    expect(parseGooglePlayReviews(fixture("reviews-last.txt")).items).toHaveLength(2);
    expect(parseGooglePlayReviews(fixture("reviews-null.txt"))).toEqual({ items: [], nextToken: null });
    expect(parseGooglePlayReviews(fixture("reviews-null-string.txt"))).toEqual({ items: [], nextToken: null });
  });

  it("throws a ParseError that says what is wrong with a cut body, an error entry, a missing result or a changed layout", () => {
    const body = fixture("reviews-page1.txt");
    expect(() => parseGooglePlayReviews(body.slice(0, body.length / 2))).toThrow(ParseError);
    expect(() => parseGooglePlayReviews(body.slice(0, body.length / 2))).toThrow(/not a batchexecute envelope/);
    expect(() => parseGooglePlayReviews(`)]}'\n\n[["er",null,null,null,null,400,null,null,null,3],["di",12]]`)).toThrow(/error entry/);
    expect(() => parseGooglePlayReviews(`)]}'\n\n[["wrb.fr","qnKhOb","[]"]]`)).toThrow(/no "UsvDTd" result/);
    expect(() => parseGooglePlayReviews(`)]}'\n\n[["wrb.fr","UsvDTd","{\\"a\\":1}"]]`)).toThrow(/not an array/);
    expect(() => parseGooglePlayReviews(`)]}'\n\n[["wrb.fr","UsvDTd","[[[null,[\\"x\\"]]]]"]]`)).toThrow(/no id/);
    expect(() => parseGooglePlayReviews("<html><title>Sorry…</title></html>")).toThrow(/not a batchexecute envelope/);
  });

  it.runIf(existsSync(sample))("reads the captured Play answer: 150 reviews, a token, and the reviews without a version", () => {
    const page = parseGooglePlayReviews(readFileSync(sample, "utf8"), { packageName: "com.google.android.apps.translate" });
    expect(page.items).toHaveLength(150);
    expect(new Set(page.items.map((i) => i.externalId)).size).toBe(150);
    expect(page.nextToken).toMatch(/^Ct/);
    expect(page.items[0]).toMatchObject({ externalId: "631c8899-005f-47b7-9480-0b480748eebf", author: "Kirti Kirti", text: "good", rating: 4 });
    expect(page.items[0]!.publishedAt!.toISOString()).toBe("2026-06-30T13:46:14.721Z");
    expect(page.items.filter((i) => i.appVersion === null).length).toBeGreaterThan(0);
    expect(page.items.every((i) => i.rating! >= 1 && i.rating! <= 5)).toBe(true);
  });
});

describe("the Google Play request", () => {
  it("asks for 150 reviews, newest first, of the package, with the token of the page before", () => {
    const decode = (body: string) => {
      const freq = JSON.parse(new URLSearchParams(body).get("f.req")!) as [[[string, string, null, string]]];
      return [freq[0][0][0], JSON.parse(freq[0][0][1])];
    };
    expect(decode(playReviewsRequestBody("com.example.notes", null))).toEqual([
      "UsvDTd",
      [null, null, [2, 2, [150, null, null], null, []], ["com.example.notes", 7]],
    ]);
    expect(decode(playReviewsRequestBody("com.example.notes", "Tok"))[1][2][2]).toEqual([150, null, "Tok"]);
  });

  it("plans one scope per language and country, and refuses an app without a package", async () => {
    const target = (playPackage: string | null, playLangs: string[]): SourceTarget => ({
      app: { id: 1, name: "Notes", aliases: [], appstoreId: null, appstoreCountries: [], playPackage, playLangs, taptapId: null, taptapRegion: "cn" },
      keywords: [],
    });
    const plan = await googleplay.plan(target("com.example.notes", ["en-us", "ja-jp", "zh", "EN-US"]), {} as CrawlContext);
    expect(plan.scopes.map((s) => [s.key, s.params])).toEqual([
      ["en-us", { pkg: "com.example.notes", hl: "en", gl: "us" }],
      ["ja-jp", { pkg: "com.example.notes", hl: "ja", gl: "jp" }],
      ["zh-us", { pkg: "com.example.notes", hl: "zh", gl: "us" }],
    ]);
    expect(playLocale("pt-br")).toEqual({ hl: "pt", gl: "br" });
    await expect(googleplay.plan(target(null, ["en-us"]), {} as CrawlContext)).rejects.toThrow(/--play-package/);
  });

  it("pages with tokens and keeps a review repeated on the next page once", async () => {
    const bodies = [fixture("reviews-page1.txt"), fixture("reviews-page2-repeats.txt"), fixture("reviews-null.txt")];
    const requests: FetchRequest[] = [];
    const ctx: CrawlContext = {
      config: loadConfig({}),
      log: () => {},
      fetcher: {
        async fetch(req) {
          requests.push(req);
          const body = bodies[requests.length - 1]!;
          return { url: req.url, status: 200, headers: {}, body, charset: "utf-8", bytes: body.length, ms: 1, retries: 0 };
        },
        async close() {},
      },
    };
    const scope = { key: "en-us", keyword: null, params: { pkg: "com.example.notes", hl: "en", gl: "us" } };
    const pages = [];
    for await (const page of googleplay.pages({} as SourceTarget, scope, ctx)) pages.push(page);
    expect(pages.map((p) => [p.items.length, p.last])).toEqual([[4, false], [1, false], [0, true]]);
    expect(pages[1]!.items[0]!.externalId).toBe("5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9");
    expect(requests.map((r) => r.method)).toEqual(["POST", "POST", "POST"]);
    expect(new URLSearchParams(requests[1]!.body).get("f.req")).toContain("CpYBEpMBCgwI0rS7mQYQgMbJ4QISggFBQ0xxUjRoc2ZqWk1mRnM");
  });
});
