import { NonRetryableError, ParseError } from "../errors.ts";
import type { CrawlContext, RawMention, SourceAdapter, SourcePage, SourceTarget } from "./types.ts";

/**
 * Apple App Store customer reviews: the public RSS feed in JSON, one feed per storefront,
 * newest first, 10 pages of about 50; an empty page before the one the feed calls last is asked
 * again, then skipped.
 *   GET {base}/{cc}/rss/customerreviews/page={n}/id={trackId}/sortby=mostrecent/json
 */

const MAX_PAGES = 10;

interface Label {
  label?: string;
  attributes?: Record<string, string>;
}
interface FeedEntry {
  author?: { name?: Label; uri?: Label };
  updated?: Label;
  "im:rating"?: Label;
  "im:version"?: Label;
  id?: Label;
  title?: Label;
  content?: Label;
  link?: { attributes?: { href?: string } } | { attributes?: { href?: string } }[];
}
interface Feed {
  entry?: FeedEntry | FeedEntry[];
  link?: { attributes?: { rel?: string; href?: string } }[] | { attributes?: { rel?: string; href?: string } };
  id?: Label;
}

function feedUrl(base: string, cc: string, trackId: string, page: number): string {
  return `${base}/${cc}/rss/customerreviews/page=${page}/id=${trackId}/sortby=mostrecent/json`;
}

/** Storefront and app id from the request URL, or from the feed's own links when parsing a saved file. */
function feedIdentity(feed: Feed, url?: string): { cc: string; trackId: string | null } {
  const links = [url, feed.id?.label, ...asArray(feed.link).map((l) => l.attributes?.href)].filter(
    (v): v is string => typeof v === "string",
  );
  for (const link of links) {
    const m = /\/([a-z]{2})\/rss\/customerreviews\/(?:page=\d+\/)?id=(\d+)/i.exec(link);
    if (m) return { cc: m[1]!.toLowerCase(), trackId: m[2]! };
  }
  throw new ParseError("App Store feed: cannot tell which storefront it is from (no feed link names one)", {
    source: "appstore",
    ...(url ? { url } : {}),
  });
}

function asArray<T>(value: T | T[] | undefined | null): T[] {
  if (value == null) return [];
  return Array.isArray(value) ? value : [value];
}

export function parseAppstoreFeed(body: string, url?: string): { items: RawMention[]; lastPage: number | null } {
  let doc: { feed?: Feed };
  try {
    doc = JSON.parse(body) as { feed?: Feed };
  } catch (err) {
    throw new ParseError(`App Store feed is not valid JSON (${(err as Error).message})`, {
      source: "appstore",
      ...(url ? { url } : {}),
      snippet: body.slice(0, 200),
    });
  }
  if (!doc || typeof doc !== "object" || !doc.feed || typeof doc.feed !== "object") {
    throw new ParseError("App Store feed has no `feed` object: the response is not a customer-reviews feed", {
      source: "appstore",
      ...(url ? { url } : {}),
      snippet: body.slice(0, 200),
    });
  }
  const feed = doc.feed;
  const { cc, trackId } = feedIdentity(feed, url);
  const items: RawMention[] = [];
  // The first entry of page 1 can be the app's own metadata: only entries with a rating are reviews.
  for (const e of asArray(feed.entry)) {
    const id = e.id?.label;
    const rating = Number(e["im:rating"]?.label);
    if (!id || !Number.isFinite(rating) || rating < 1) continue;
    const updated = e.updated?.label;
    const published = updated ? new Date(updated) : null;
    items.push({
      externalId: `${cc}:${id}`,
      url: trackId ? `https://apps.apple.com/${cc}/app/id${trackId}?see-all=reviews` : null,
      author: e.author?.name?.label ?? null,
      title: e.title?.label ?? null,
      text: e.content?.label ?? "",
      publishedAt: published && !Number.isNaN(published.getTime()) ? published : null,
      publishedRaw: updated ?? null,
      rating,
      appVersion: e["im:version"]?.label ?? null,
      extra: { storefront: cc, ...(trackId ? { trackId } : {}) },
    });
  }
  const last = asArray(feed.link).find((l) => l.attributes?.rel === "last")?.attributes?.href;
  const lastPage = last ? Number(/page=(\d+)/.exec(last)?.[1] ?? NaN) : NaN;
  return { items, lastPage: Number.isFinite(lastPage) ? lastPage : null };
}

interface SearchResult {
  trackId?: number;
  trackName?: string;
  bundleId?: string;
}

/** Finds the App Store id of an app by its name or aliases through the iTunes Search API. */
export async function resolveTrackId(target: SourceTarget, ctx: CrawlContext): Promise<string> {
  const names = [target.app.name, ...target.app.aliases];
  const country = target.app.appstoreCountries[0] ?? "us";
  for (const name of names) {
    const url = `${ctx.config.sourceUrls.itunesSearch}/search?term=${encodeURIComponent(name)}&entity=software&country=${country}&limit=10`;
    const res = await ctx.fetcher.fetch({ url, source: "appstore" }, { log: ctx.log, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    let results: SearchResult[];
    try {
      results = (JSON.parse(res.body) as { results?: SearchResult[] }).results ?? [];
    } catch {
      throw new ParseError("iTunes Search API answered with something other than JSON", { source: "appstore", url });
    }
    const wanted = names.map((n) => n.toLowerCase());
    const hit =
      results.find((r) => r.trackName && wanted.includes(r.trackName.toLowerCase())) ??
      results.find((r) => r.trackName && wanted.some((n) => r.trackName!.toLowerCase().includes(n)));
    if (hit?.trackId) return String(hit.trackId);
  }
  throw new NonRetryableError(
    `No App Store app named ${names.map((n) => `"${n}"`).join(" or ")} was found in the ${country} storefront; ` +
      `set its id with: earshot watch edit ID --appstore-id <digits>`,
  );
}

export const appstore: SourceAdapter = {
  id: "appstore",
  label: "Apple App Store",
  kind: "store",
  minIntervalSec: 300,
  maxPages: MAX_PAGES,
  politeness: { concurrency: 2, minDelayMs: 1000 },

  hosts(target, config) {
    const feed = new URL(config.sourceUrls.appstore).host;
    // The search API is asked only while the app's id is unknown.
    return target.app.appstoreId ? [feed] : [...new Set([feed, new URL(config.sourceUrls.itunesSearch).host])];
  },

  async plan(target, ctx) {
    const trackId = target.app.appstoreId ?? (await resolveTrackId(target, ctx));
    const countries = target.app.appstoreCountries.length ? target.app.appstoreCountries : ["us"];
    return {
      scopes: countries.map((cc) => ({ key: cc, keyword: null, params: { cc, trackId } })),
      ...(target.app.appstoreId ? {} : { appUpdate: { appstoreId: trackId } }),
    };
  },

  async *pages(_target, scope, ctx): AsyncGenerator<SourcePage> {
    const { cc, trackId } = scope.params as { cc: string; trackId: string };
    const fetchFeed = async (url: string) => {
      const res = await ctx.fetcher.fetch({ url, source: "appstore" }, { log: ctx.log, ...(ctx.signal ? { signal: ctx.signal } : {}) });
      return parseAppstoreFeed(res.body, url);
    };
    // The last page as the feed's rel=last link gave it, on this page or an earlier one.
    let lastPage: number | null = null;
    for (let page = 1; page <= MAX_PAGES; page++) {
      const url = feedUrl(ctx.config.sourceUrls.appstore, cc, trackId, page);
      let { items, lastPage: said } = await fetchFeed(url);
      lastPage = said ?? lastPage;
      // The JSON feed now and then answers a page inside the list with no entries while the XML
      // one has them: ask once more, and read on past it if it stays empty.
      if (items.length === 0 && lastPage !== null && page < lastPage) {
        ({ items, lastPage: said } = await fetchFeed(url));
        lastPage = said ?? lastPage;
      }
      const last = items.length === 0 ? lastPage === null || page >= lastPage : page >= (lastPage ?? MAX_PAGES);
      yield { items, url, last };
      if (last) return;
    }
  },

  parse(body, url) {
    return parseAppstoreFeed(body, url).items;
  },
};
