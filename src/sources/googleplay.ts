import { NonRetryableError, ParseError } from "../errors.ts";
import type { CrawlContext, RawMention, SourceAdapter, SourcePage } from "./types.ts";

/**
 * Google Play reviews through the web client's `batchexecute` endpoint, rpc `UsvDTd`: newest
 * first, 150 per request, paged with continuation tokens; one review list per language.
 *   POST {base}/_/PlayStoreUi/data/batchexecute?rpcids=UsvDTd&hl={lang}&gl={country}&…
 *   f.req=[[["UsvDTd","[null,null,[2,2,[150,null,{token|null}],null,[]],[\"{package}\",7]]",null,"generic"]]]
 * The answer starts with the `)]}'` anti-XSSI prefix; the payload is a JSON string inside the
 * envelope, `null` when nothing follows.
 */

const PAGE_SIZE = 150;
/** 1,500 reviews per language on a first run; later runs stop at the cursor long before. */
const MAX_PAGES = 10;
/** Sort orders of UsvDTd: 1 helpfulness, 2 newest, 3 rating. */
const SORT_NEWEST = 2;
const RPC_ID = "UsvDTd";

/** The language scope "en-us" as Google's hl and gl (a bare "en" reads the US list). */
export function playLocale(scope: string): { hl: string; gl: string } {
  const [hl, gl] = scope.toLowerCase().split("-");
  return { hl: hl || "en", gl: gl || "us" };
}

export function playReviewsUrl(base: string, hl: string, gl: string): string {
  return `${base}/_/PlayStoreUi/data/batchexecute?rpcids=${RPC_ID}&source-path=%2Fstore%2Fapps%2Fdetails&hl=${encodeURIComponent(hl)}&gl=${encodeURIComponent(gl)}&authuser&soc-app=121&soc-platform=1&soc-device=1`;
}

/** The form body asking for one page of reviews, newest first; `token` continues a previous page. */
export function playReviewsRequestBody(packageName: string, token: string | null, count = PAGE_SIZE): string {
  const args = JSON.stringify([null, null, [2, SORT_NEWEST, [count, null, token], null, []], [packageName, 7]]);
  return `f.req=${encodeURIComponent(JSON.stringify([[[RPC_ID, args, null, "generic"]]]))}`;
}

export interface GooglePlayPage {
  items: RawMention[];
  /** Continuation token of the next page; null when this is the last page. */
  nextToken: string | null;
}

export interface GooglePlayParseOptions {
  url?: string;
  /** The app's package, for review links (the request names it in the body, not the URL). */
  packageName?: string;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * Reads a UsvDTd answer: `)]}'`, then `[["wrb.fr","UsvDTd","<payload JSON>",…],["di",…],…]`,
 * where the payload is `[[review…], [null, token]]` or `null` (no more reviews).
 * Review fields are positional: [0] id, [1][0] author, [2] stars, [4] text, [5] [seconds, nanos],
 * [6] thumbs up, [7] developer reply, [10] app version (may be null).
 */
export function parseGooglePlayReviews(body: string, options: GooglePlayParseOptions = {}): GooglePlayPage {
  const { url } = options;
  const fail = (message: string): never => {
    throw new ParseError(`Google Play reviews: ${message}`, {
      source: "googleplay",
      ...(url ? { url } : {}),
      snippet: body.slice(0, 200),
    });
  };
  let text = body.trimStart();
  if (text.startsWith(")]}'")) text = text.slice(4);
  let envelope: Json;
  try {
    envelope = JSON.parse(text) as Json;
  } catch (err) {
    return fail(`the answer is not a batchexecute envelope (${(err as Error).message})`);
  }
  if (!Array.isArray(envelope)) return fail("the answer is not a batchexecute envelope (no outer array)");
  const entries = envelope.filter((e): e is Json[] => Array.isArray(e));
  const call = entries.find((e) => e[0] === "wrb.fr" && e[1] === RPC_ID);
  if (!call) {
    const error = entries.find((e) => e[0] === "er");
    if (error) return fail(`Google answered with an error entry (${JSON.stringify(error).slice(0, 120)})`);
    return fail(`the answer holds no "${RPC_ID}" result: the request or the site's format changed`);
  }
  const raw = call[2];
  if (raw === null || raw === undefined) return { items: [], nextToken: null };
  if (typeof raw !== "string") return fail("the UsvDTd payload is not a JSON string");
  let data: Json;
  try {
    data = JSON.parse(raw) as Json;
  } catch (err) {
    return fail(`the UsvDTd payload is not valid JSON (${(err as Error).message})`);
  }
  if (data === null) return { items: [], nextToken: null };
  if (!Array.isArray(data)) return fail("the UsvDTd payload is not an array: the site's format changed");
  const list = data[0] ?? [];
  if (!Array.isArray(list)) return fail("the review list (payload[0]) is not an array: the site's format changed");
  const tokenSlot = data[1];
  const token = Array.isArray(tokenSlot) && typeof tokenSlot[1] === "string" && tokenSlot[1] ? tokenSlot[1] : null;
  const { hl, gl } = localeFromUrl(url);

  const items: RawMention[] = [];
  for (const r of list) {
    if (!Array.isArray(r)) return fail("a review is not an array: the site's format changed");
    const id = r[0];
    if (typeof id !== "string" || !id) return fail("a review has no id at [0]: the site's format changed");
    const rating = typeof r[2] === "number" && r[2] >= 1 && r[2] <= 5 ? r[2] : null;
    const when = Array.isArray(r[5]) && typeof r[5][0] === "number" ? r[5] : null;
    // Milliseconds from seconds and the first three digits of the nanoseconds, as Google's own client does.
    const ms = when ? (when[0] as number) * 1000 + Math.floor(Number(when[1] ?? 0) / 1e6) : null;
    const reply = Array.isArray(r[7]) ? r[7] : null;
    const author = Array.isArray(r[1]) && typeof r[1][0] === "string" ? r[1][0] : null;
    items.push({
      externalId: id,
      url: options.packageName
        ? `https://play.google.com/store/apps/details?id=${encodeURIComponent(options.packageName)}&reviewId=${encodeURIComponent(id)}`
        : null,
      author,
      title: null,
      text: typeof r[4] === "string" ? r[4] : "",
      publishedAt: ms === null ? null : new Date(ms),
      publishedRaw: when ? JSON.stringify(when) : null,
      rating,
      appVersion: typeof r[10] === "string" && r[10] ? r[10] : null,
      extra: {
        ...(hl ? { lang: hl } : {}),
        ...(gl ? { country: gl } : {}),
        ...(typeof r[6] === "number" ? { thumbsUp: r[6] } : {}),
        ...(reply && typeof reply[1] === "string" ? { replyText: reply[1] } : {}),
        ...(options.packageName ? { package: options.packageName } : {}),
      },
    });
  }
  return { items, nextToken: token };
}

function localeFromUrl(url: string | undefined): { hl: string | null; gl: string | null } {
  if (!url) return { hl: null, gl: null };
  try {
    const q = new URL(url).searchParams;
    return { hl: q.get("hl")?.toLowerCase() || null, gl: q.get("gl")?.toLowerCase() || null };
  } catch {
    return { hl: null, gl: null };
  }
}

async function fetchPage(ctx: CrawlContext, packageName: string, hl: string, gl: string, token: string | null) {
  const url = playReviewsUrl(ctx.config.sourceUrls.googleplay, hl, gl);
  const res = await ctx.fetcher.fetch(
    {
      url,
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded;charset=UTF-8" },
      body: playReviewsRequestBody(packageName, token),
      source: "googleplay",
    },
    { log: ctx.log, ...(ctx.signal ? { signal: ctx.signal } : {}) },
  );
  return { url, page: parseGooglePlayReviews(res.body, { url, packageName }) };
}

export const googleplay: SourceAdapter = {
  id: "googleplay",
  label: "Google Play",
  kind: "store",
  minIntervalSec: 600,
  maxPages: MAX_PAGES,
  politeness: { concurrency: 2, minDelayMs: 1000 },

  hosts(_target, config) {
    return [new URL(config.sourceUrls.googleplay).host];
  },

  async plan(target) {
    const pkg = target.app.playPackage;
    if (!pkg) {
      throw new NonRetryableError(
        `"${target.app.name}" has no Google Play package; set it with: earshot watch edit ID --play-package com.example.app`,
      );
    }
    const langs = target.app.playLangs.length ? target.app.playLangs : ["en-us"];
    return {
      scopes: [...new Set(langs.map((l) => l.toLowerCase()))].map((key) => {
        const { hl, gl } = playLocale(key);
        return { key: `${hl}-${gl}`, keyword: null, params: { pkg, hl, gl } };
      }),
    };
  },

  async *pages(_target, scope, ctx): AsyncGenerator<SourcePage> {
    const { pkg, hl, gl } = scope.params as { pkg: string; hl: string; gl: string };
    // Paging can repeat reviews (tokens past a few hundred, a list that cycles): each is kept once.
    const seen = new Set<string>();
    let token: string | null = null;
    for (let n = 1; n <= MAX_PAGES; n++) {
      const { url, page } = await fetchPage(ctx, pkg, hl, gl, token);
      const items = page.items.filter((i) => !seen.has(i.externalId) && seen.add(i.externalId));
      // A page of nothing but repeats, or a token that points back at itself, would loop forever.
      const last = page.nextToken === null || page.nextToken === token || (page.items.length > 0 && items.length === 0);
      yield { items, url, last };
      if (last) return;
      token = page.nextToken;
    }
  },

  parse(body, url) {
    return parseGooglePlayReviews(body, url ? { url } : {}).items;
  },
};
