import { feedReviews, hashSeed, sandboxAppFor, type FeedReview } from "./data.ts";
import type { SandboxReply, SandboxRoute, SandboxState } from "./server.ts";

/** Reviews each TapTap app starts with, per region: twelve pages of ten. */
export const TAPTAP_INITIAL_REVIEWS = 120;

const CN_PATH = "/webapiv2/review/v2/list-by-app";
const INTL_PATH = "/webapiv2/feeds/v3/by-app";
const devices = ["iPhone 13", "Xiaomi 13", "HUAWEI Mate 60", "OPPO Find X6", "vivo X90", "iPad Pro", "Redmi K60"];

/**
 * TapTap's web API review lists: CN (`moment` items on taptap.cn) and international (`post` items
 * on taptap.io) on their real paths, paged by `from` offsets with a `next_page` path. Quirks
 * served on purpose: no `X-UA` gets an error envelope with status 200, a non-numeric app id gets
 * `success: false`, review text with `<br />` line breaks.
 */
export const taptapRoutes: SandboxRoute = (req, state) => {
  const path = req.url.pathname;
  const region = path === CN_PATH ? "cn" : path === INTL_PATH ? "intl" : null;
  if (!region) return null;
  const q = req.url.searchParams;
  if (!q.get("X-UA")) return failure(400, "invalid_request", "X-UA is required");
  const appId = q.get("app_id") ?? "";
  if (!/^\d+$/.test(appId)) return failure(404, "not_found", region === "cn" ? "应用不存在" : "App not found");
  const limit = Math.min(Math.max(Number(q.get("limit") ?? 10) || 10, 1), 50);
  const from = Math.max(Number(q.get("from") ?? 0) || 0, 0);
  const reviews = taptapReviews(state, appId, region);
  const page = reviews.slice(from, from + limit);
  const more = from + limit < reviews.length;
  const next = more
    ? region === "cn"
      ? `${CN_PATH}?app_id=${appId}&from=${from + limit}&limit=${limit}&sort=new`
      : `${INTL_PATH}?app_id=${appId}&from=${from + limit}&limit=${limit}&type=recent`
    : "";
  const list = page.map((r) => (region === "cn" ? { type: 2, moment: moment(r, appId) } : { type: 1, post: post(r, appId) }));
  return { status: 200, json: { success: true, now: Math.floor(state.now / 1000), data: { list, next_page: next, total: reviews.length } } };
};

/** The reviews of one TapTap app in one region, newest first. */
export function taptapReviews(state: SandboxState, appId: string, region: "cn" | "intl"): (FeedReview & { reviewId: string })[] {
  const app = sandboxAppFor(appId, (a) => a.taptapId === appId);
  const seedApp = { ...app, trackId: `taptap|${appId}|${region}` };
  const base = hashSeed("taptap", appId, region) % 100_000;
  return feedReviews(state, `taptap:${appId}:${region}`, seedApp, region === "cn" ? "cn" : "us", TAPTAP_INITIAL_REVIEWS).map((r) => ({
    ...r,
    reviewId: String(base * 100_000 + r.index + 10_000_000),
  }));
}

function moment(r: FeedReview & { reviewId: string }, appId: string) {
  const seconds = Math.floor(r.at / 1000);
  return {
    id_str: String(BigInt(r.reviewId) * 7n + 3n),
    publish_time: seconds,
    created_time: seconds,
    author: { user: { id: hashSeed(r.author) % 1_000_000, name: r.author, avatar: `https://img.tapimg.com/avatar/${hashSeed(r.author).toString(36)}.jpg` } },
    review: { id: Number(r.reviewId), score: r.rating, contents: { text: r.text.replace("，", "，<br />"), images: [] } },
    stat: { ups: r.index % 11, comments: r.index % 3 },
    app: { id: Number(appId), title: `App ${appId}` },
    device: devices[r.index % devices.length],
  };
}

function post(r: FeedReview & { reviewId: string }, appId: string) {
  return {
    id_str: r.reviewId,
    published_time: Math.floor(r.at / 1000),
    user: { id: hashSeed(r.author) % 1_000_000, name: r.author },
    list_fields: { title: r.title, summary: r.text, app_ratings: { [appId]: { score: String(r.rating) } } },
  };
}

function failure(code: number, error: string, msg: string): SandboxReply {
  return { status: 200, json: { success: false, now: 0, data: { code, error, msg } } };
}
