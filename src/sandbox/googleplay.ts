import { feedReviews, hashSeed, sandboxAppFor, type FeedReview } from "./data.ts";
import type { SandboxReply, SandboxRoute, SandboxState } from "./server.ts";

/** Reviews each (package, language) list starts with: a little over two pages of 150. */
export const PLAY_INITIAL_REVIEWS = 320;
/** Continuation pages start this many reviews before where the previous one ended, as Play's paging can. */
export const PLAY_PAGE_OVERLAP = 2;

const PATH = "/_/PlayStoreUi/data/batchexecute";

/**
 * Google Play's web `batchexecute` endpoint answering the `UsvDTd` reviews call: the request
 * names the package, count, sort and token inside the form field `f.req`; hl and gl in the URL.
 * Quirks served on purpose: the `)]}'` prefix, a token on every full page (so the page after a
 * list that ends exactly on a page boundary is a `null` payload), continuation pages that repeat
 * the last reviews of the page before, reviews without an app version, developer replies.
 */
export const googleplayRoutes: SandboxRoute = (req, state) => {
  if (req.url.pathname !== PATH) return null;
  if (req.method !== "POST") return { status: 405, body: "Method Not Allowed" };
  const call = readCall(req.body);
  if (!call) return { status: 400, body: batchError(3) };
  const hl = (req.url.searchParams.get("hl") ?? "en").toLowerCase();
  const gl = (req.url.searchParams.get("gl") ?? "us").toLowerCase();
  const feed = `googleplay:${call.pkg}:${hl}-${gl}`;
  const reviews = playReviews(state, call.pkg, hl, gl);

  let start = 0;
  if (call.token) {
    const lastId = Buffer.from(call.token, "base64url").toString("utf8");
    const at = reviews.findIndex((r) => r.id === lastId);
    if (at < 0) return { status: 400, body: batchError(3) };
    start = Math.max(0, at + 1 - PLAY_PAGE_OVERLAP);
    if (at + 1 >= reviews.length) return envelope(null);
  }
  const page = reviews.slice(start, start + call.count);
  const full = page.length === call.count;
  const token = full ? Buffer.from(page[page.length - 1]!.id).toString("base64url") : null;
  return envelope(JSON.stringify([page.map((r) => reviewArray(r, call.pkg, feed)), ...(token ? [[null, token]] : [])]));
};

/** The reviews of one package in one language, newest first (the sandbox's data for that list). */
export function playReviews(state: SandboxState, pkg: string, hl: string, gl: string): (FeedReview & { id: string })[] {
  const app = sandboxAppFor(pkg, (a) => a.playPackage === pkg);
  const feed = `googleplay:${pkg}:${hl}-${gl}`;
  // Seeded per list, so two languages of one app hold different reviews; the language picks the phrases.
  const seedApp = { ...app, trackId: `${app.trackId}|${hl}-${gl}` };
  const country = hl === "zh" ? "cn" : hl === "ja" ? "jp" : "us";
  return feedReviews(state, feed, seedApp, country, PLAY_INITIAL_REVIEWS).map((r) => ({ ...r, id: playId(pkg, hl, gl, r.index) }));
}

/** Review ids are UUIDs, as in Play's answers. */
function playId(pkg: string, hl: string, gl: string, index: number): string {
  const hex = [0, 1, 2, 3].map((i) => hashSeed("gp", pkg, hl, gl, String(index), String(i)).toString(16).padStart(8, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function readCall(body: string): { pkg: string; count: number; token: string | null } | null {
  try {
    const freq = new URLSearchParams(body).get("f.req");
    if (!freq) return null;
    const calls = (JSON.parse(freq) as unknown[][][])[0] ?? [];
    const call = calls.find((c) => c[0] === "UsvDTd");
    if (!call || typeof call[1] !== "string") return null;
    const args = JSON.parse(call[1]) as [null, null, [number, number, [number, null, string | null], null, unknown[]], [string, number]];
    const pkg = args[3]?.[0];
    const count = args[2]?.[2]?.[0];
    if (typeof pkg !== "string" || typeof count !== "number" || count < 1) return null;
    return { pkg, count: Math.min(count, 199), token: args[2][2][2] ?? null };
  } catch {
    return null;
  }
}

function reviewArray(r: FeedReview & { id: string }, pkg: string, feed: string): unknown[] {
  const seconds = Math.floor(r.at / 1000);
  const author = r.author;
  const avatar = `https://play-lh.googleusercontent.com/a/${hashSeed(author).toString(36)}=mo`;
  const version = r.index % 7 === 3 ? null : `${r.version}.${hashSeed(feed).toString().slice(0, 3)}-release`;
  const reply = r.index % 9 === 4 ? [null, `Thanks for the feedback on ${pkg}; please write to support.`, [seconds + 3600, 0]] : null;
  return [
    r.id,
    [author, [null, 2, null, [null, null, avatar]]],
    r.rating,
    null,
    r.text,
    [seconds, (r.at % 1000) * 1_000_000],
    r.index % 5,
    reply,
    null,
    [String(hashSeed(author, "uid")), author, null, [[null, 2, null, [null, null, avatar]], true]],
    version,
    null,
    null,
    null,
    [true, false],
    null,
    1,
  ];
}

function envelope(payload: string | null): SandboxReply {
  const body = `)]}'\n\n${JSON.stringify([["wrb.fr", "UsvDTd", payload, null, null, null, "generic"], ["di", 57], ["af.httprm", 56, "-2917363524106392213", 12]])}`;
  return { status: 200, body, headers: { "content-type": "application/json; charset=utf-8" } };
}

function batchError(code: number): string {
  return `)]}'\n\n${JSON.stringify([["er", null, null, null, null, 400, null, null, null, code], ["di", 12], ["af.httprm", 11, "-1", 2]])}`;
}
