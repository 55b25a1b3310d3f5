import { sandboxApps, storeReviews, type SandboxApp } from "./data.ts";
import type { SandboxReply, SandboxRoute, SandboxState } from "./server.ts";

const PAGE_SIZE = 50;
const MAX_PAGES = 10;
/** Reviews each storefront starts with: a little under five pages. */
export const INITIAL_REVIEWS = 230;

const FEED_RE =
  /^\/([a-z]{2})\/rss\/customerreviews(?:\/page=(\d+))?\/id=(\d+)\/sort[bB]y=(mostrecent|mostRecent|mostHelpful|mosthelpful)\/json$/;

/**
 * Apple's customer-reviews RSS feed in its JSON form, and the iTunes Search and Lookup APIs,
 * on their real paths. Quirks served on purpose: the app-metadata entry first on page 1,
 * `entry` as a single object when a page holds one review, no `entry` on an empty page.
 */
export const appstoreRoutes: SandboxRoute = (req, state) => {
  const feed = FEED_RE.exec(req.url.pathname);
  if (feed) {
    const [, cc, pageText, id] = feed as unknown as [string, string, string | undefined, string];
    const app = sandboxApps.find((a) => a.trackId === id);
    if (!app) return { status: 200, json: { feed: emptyFeed(cc, id) } };
    const page = Number(pageText ?? 1);
    if (page < 1 || page > MAX_PAGES) return { status: 400, body: "CustomerReviews RSS page depth is limited to 10" };
    return { status: 200, json: { feed: reviewFeed(app, cc, page, state) } };
  }
  if (req.url.pathname === "/search") {
    const term = (req.url.searchParams.get("term") ?? "").toLowerCase();
    const results = sandboxApps.filter((a) => a.names.some((n) => n.toLowerCase().includes(term) || term.includes(n.toLowerCase())));
    return { status: 200, json: { resultCount: results.length, results: results.map(searchResult) } };
  }
  if (req.url.pathname === "/lookup") {
    const id = req.url.searchParams.get("id");
    const results = sandboxApps.filter((a) => a.trackId === id);
    return { status: 200, json: { resultCount: results.length, results: results.map(searchResult) } };
  }
  return null;
};

/** The same answer with the feed's entries dropped and its links kept, as the JSON feed's empty pages come. */
export function withoutFeedEntries(reply: SandboxReply): SandboxReply {
  const doc = reply.json as { feed?: Record<string, unknown> } | undefined;
  if (!doc?.feed) return reply;
  const { entry: _dropped, ...feed } = doc.feed;
  return { ...reply, json: { ...doc, feed } };
}

export function appstoreReviewCount(state: SandboxState, trackId: string, cc: string): number {
  return INITIAL_REVIEWS + (state.growth.get(`appstore:${trackId}:${cc}`) ?? 0);
}

function reviewFeed(app: SandboxApp, cc: string, page: number, state: SandboxState) {
  const total = appstoreReviewCount(state, app.trackId, cc);
  const all = storeReviews(app, cc, Math.min(total, PAGE_SIZE * MAX_PAGES), state.now);
  const slice = all.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const lastPage = Math.max(1, Math.min(MAX_PAGES, Math.ceil(Math.min(total, PAGE_SIZE * MAX_PAGES) / PAGE_SIZE)));
  const entries: unknown[] = slice.map((r) => ({
    author: { uri: { label: `https://itunes.apple.com/${cc}/reviews/id${r.id.slice(-8)}` }, name: { label: r.author }, label: "" },
    updated: { label: r.updated },
    "im:rating": { label: String(r.rating) },
    "im:version": { label: r.version },
    id: { label: r.id },
    title: { label: r.title },
    content: { label: r.text, attributes: { type: "text" } },
    link: { attributes: { rel: "related", href: `https://itunes.apple.com/${cc}/review?id=${app.trackId}&type=Purple%20Software` } },
    "im:voteSum": { label: "0" },
    "im:contentType": { attributes: { term: "Application", label: "Application" } },
    "im:voteCount": { label: "0" },
  }));
  if (page === 1 && entries.length > 0) entries.unshift(metadataEntry(app, cc));
  const base = `https://itunes.apple.com/${cc}/rss/customerreviews`;
  const feed: Record<string, unknown> = {
    ...emptyFeed(cc, app.trackId),
    link: [
      { attributes: { rel: "alternate", type: "text/html", href: `https://apps.apple.com/${cc}/app/id${app.trackId}` } },
      { attributes: { rel: "self", href: `${base}/id=${app.trackId}/sortBy=mostRecent/json` } },
      { attributes: { rel: "first", href: `${base}/page=1/id=${app.trackId}/sortby=mostrecent/xml` } },
      { attributes: { rel: "last", href: `${base}/page=${lastPage}/id=${app.trackId}/sortby=mostrecent/xml` } },
      ...(page < lastPage ? [{ attributes: { rel: "next", href: `${base}/page=${page + 1}/id=${app.trackId}/sortby=mostrecent/xml` } }] : []),
    ],
  };
  if (entries.length === 1) feed.entry = entries[0];
  else if (entries.length > 1) feed.entry = entries;
  return feed;
}

function emptyFeed(cc: string, id: string) {
  return {
    author: { name: { label: "iTunes Store" }, uri: { label: "http://www.apple.com/itunes/" } },
    updated: { label: "2026-11-20T01:00:00-07:00" },
    rights: { label: "Copyright 2008 Apple Inc." },
    title: { label: "iTunes Store: Customer Reviews" },
    icon: { label: "http://itunes.apple.com/favicon.ico" },
    link: [{ attributes: { rel: "self", href: `https://itunes.apple.com/${cc}/rss/customerreviews/id=${id}/sortBy=mostRecent/json` } }],
    id: { label: `https://itunes.apple.com/${cc}/rss/customerreviews/id=${id}/sortBy=mostRecent/json` },
  };
}

function metadataEntry(app: SandboxApp, cc: string) {
  return {
    "im:name": { label: app.names[1] ?? app.names[0] },
    rights: { label: "© Example Ltd." },
    "im:price": { label: "Get", attributes: { amount: "0.00", currency: "USD" } },
    "im:image": [{ label: `https://is1-ssl.mzstatic.com/image/${app.trackId}/53x53bb.png`, attributes: { height: "53" } }],
    "im:artist": { label: "Example Ltd.", attributes: { href: `https://apps.apple.com/${cc}/developer/id1` } },
    title: { label: `${app.names[1] ?? app.names[0]} - Example Ltd.` },
    link: { attributes: { rel: "alternate", type: "text/html", href: `https://apps.apple.com/${cc}/app/id${app.trackId}` } },
    id: { label: `https://apps.apple.com/${cc}/app/id${app.trackId}`, attributes: { "im:id": app.trackId, "im:bundleId": app.bundleId } },
    "im:contentType": { attributes: { term: "Application", label: "Application" } },
    category: { attributes: { "im:id": "6007", term: "Productivity", label: "Productivity" } },
    "im:releaseDate": { label: "2020-03-01T00:00:00-07:00", attributes: { label: "March 1, 2020" } },
  };
}

function searchResult(app: SandboxApp) {
  return {
    wrapperType: "software",
    kind: "software",
    trackId: Number(app.trackId),
    trackName: app.names[1] ?? app.names[0],
    bundleId: app.bundleId,
    sellerName: "Example Ltd.",
    trackViewUrl: `https://apps.apple.com/us/app/id${app.trackId}`,
    averageUserRating: 3.4,
    userRatingCount: 1234,
    version: "3.4.0",
  };
}
