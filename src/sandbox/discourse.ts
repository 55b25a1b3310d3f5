/**
 * Discourse instances at `/discourse…/` (each path prefix is an instance: `/discourse`,
 * `/discourse-cn`): `search.json?q=<terms> order:latest&page=N` in Discourse's real shape,
 * posts and topics in separate lists joined by topic_id, `blurb` HTML with highlight spans,
 * `grouped_search_result.more_full_page_results` while more pages follow. Chinese titles get the
 * slug "topic", as Discourse gives titles without ASCII letters.
 */
import { fullText, searchFeed, shortId, type SocialPost } from "./posts.ts";
import type { SandboxRoute } from "./server.ts";

/** Real Discourse pages 50 results; the "-paged" instances page 5, for paging tests. */
const pageSize = (instance: string) => (instance.endsWith("-paged") ? 5 : 50);

export const discourseRoutes: SandboxRoute = (req, state) => {
  const m = /^\/(discourse[\w-]*)\/search\.json$/.exec(req.url.pathname);
  if (!m) return null;
  const instance = m[1]!;
  const raw = req.url.searchParams.get("q") ?? req.url.searchParams.get("term") ?? "";
  const terms = raw.split(/\s+/).filter((w) => w && !/^[a-z_]+:/.test(w));
  if (terms.join("").length < 2) {
    return { status: 400, json: { errors: ["You must enter at least 2 characters."], error_type: "invalid_parameters" } };
  }
  const page = Math.max(1, Number(req.url.searchParams.get("page") ?? 1) || 1);
  const size = pageSize(instance);
  const hits = searchFeed(instance, terms.join(" "), state).filter((p) => p.repostOf === null);
  const slice = hits.slice((page - 1) * size, page * size);
  const term = terms.find((t) => !/^(喵记|快跑|MeowNote|QuickRun)$/i.test(t)) ?? terms[0]!;
  const topicId = (p: SocialPost) => 1000 + Math.floor(p.k / 3) + (p.app.serial ?? 0) * 100_000;
  const posts = slice.map((p) => ({
    id: 50_000 + (p.app.serial ? shortId(p, 0) : p.k),
    name: p.author,
    username: `user_${p.uid.slice(-6)}`,
    avatar_template: `/user_avatar/forum/user_${p.uid.slice(-6)}/{size}/1_2.png`,
    created_at: new Date(p.at).toISOString(),
    like_count: p.likes % 40,
    blurb: blurb(fullText(p), term),
    post_number: (p.k % 3) + 1,
    topic_title_headline: p.title,
    topic_id: topicId(p),
  }));
  const topics = [...new Map(slice.map((p) => [topicId(p), p])).values()].map((p) => ({
    id: topicId(p),
    title: p.title,
    fancy_title: p.title,
    slug: "topic",
    posts_count: 3,
    reply_count: 2,
    highest_post_number: 3,
    created_at: new Date(p.at).toISOString(),
    last_posted_at: new Date(p.at).toISOString(),
    bumped: true,
    archetype: "regular",
    category_id: 4,
    tags: p.k % 2 ? ["bug"] : [],
  }));
  return {
    status: 200,
    json: {
      posts,
      topics,
      users: [],
      categories: [],
      tags: [],
      groups: [],
      grouped_search_result: {
        more_posts: null,
        more_users: null,
        more_categories: null,
        term: raw,
        search_log_id: 4242,
        more_full_page_results: page * size < hits.length ? true : null,
        can_create_topic: false,
        error: null,
        extra: {},
        post_ids: posts.map((p) => p.id),
        user_ids: [],
        category_ids: [],
        tag_ids: [],
        group_ids: [],
      },
    },
  };
};

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Discourse's blurb: about 200 characters around the match, the term in a highlight span. */
function blurb(text: string, term: string): string {
  const cut = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return escapeHtml(cut).replaceAll(term, `<span class="search-highlight">${term}</span>`);
}
