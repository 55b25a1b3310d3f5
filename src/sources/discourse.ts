/**
 * Discourse forums an admin adds by base URL (`earshot forum add --kind discourse`): one scope per
 * (forum, keyword), searched newest first:
 *   GET {base}/search.json?q=<app> <keyword> order:latest&page=N
 *   → { posts: [{ id, username, created_at, blurb, post_number, topic_id, like_count }],
 *       topics: [{ id, title, slug }], grouped_search_result: { more_full_page_results } }
 * Posts are joined to their topics; `blurb` is HTML with highlight spans.
 */
import { load } from "cheerio";
import { NonRetryableError, ParseError } from "../errors.ts";
import type { CrawlContext, ForumTarget, RawMention, SourceAdapter, SourcePage, SourceTarget } from "./types.ts";

const MAX_PAGES = 5;

interface DiscoursePost {
  id?: number;
  name?: string | null;
  username?: string;
  created_at?: string;
  like_count?: number;
  blurb?: string;
  post_number?: number;
  topic_id?: number;
  topic_title_headline?: string;
}
interface DiscourseTopic {
  id?: number;
  title?: string;
  fancy_title?: string;
  slug?: string;
  category_id?: number;
  tags?: (string | { name?: string })[];
}
interface SearchAnswer {
  posts?: DiscoursePost[];
  topics?: DiscourseTopic[];
  grouped_search_result?: { more_full_page_results?: boolean | null; more_posts?: boolean | null; term?: string } | null;
  errors?: string[];
}

export interface DiscoursePage {
  items: RawMention[];
  /** True when the answer says more results follow. */
  more: boolean;
}

/** The instance root of a search URL: "https://meta.discourse.org/search.json?q=x" → "https://meta.discourse.org". */
function baseFrom(url: string | undefined): string | null {
  if (!url) return null;
  const m = /^(https?:\/\/.+?)\/search(\.json)?(\?|$)/.exec(url);
  return m ? m[1]! : null;
}

function htmlText(html: string): string {
  return load(`<div>${html}</div>`, null, false).root().text().replace(/\s+/g, " ").trim();
}

/**
 * Parses a `search.json` answer. `base` (the instance root) builds post URLs and prefixes ids
 * so two instances never share one; without it, it is taken from `url`.
 */
export function parseDiscourseSearch(body: string, url?: string, base?: string): DiscoursePage {
  let doc: SearchAnswer;
  try {
    doc = JSON.parse(body) as SearchAnswer;
  } catch (err) {
    throw new ParseError(`Discourse search answer is not JSON (${(err as Error).message}): ${url ?? "saved file"} is not a search.json answer`, {
      source: "discourse",
      ...(url ? { url } : {}),
      snippet: body.slice(0, 200),
    });
  }
  if (!doc || typeof doc !== "object" || (!("posts" in doc) && !("grouped_search_result" in doc))) {
    const why = doc && Array.isArray(doc.errors) ? `: ${doc.errors.join("; ")}` : "";
    throw new ParseError(`Discourse answer has neither posts nor grouped_search_result${why} (${url ?? "saved file"})`, {
      source: "discourse",
      ...(url ? { url } : {}),
      snippet: body.slice(0, 200),
    });
  }
  const root = (base ?? baseFrom(url) ?? "").replace(/\/+$/, "");
  const host = root ? new URL(root).host + new URL(root).pathname.replace(/\/$/, "") : "discourse";
  const topics = new Map((doc.topics ?? []).filter((t) => t.id != null).map((t) => [t.id!, t]));
  const items: RawMention[] = [];
  for (const p of doc.posts ?? []) {
    if (p.id == null) continue;
    const topic = p.topic_id != null ? topics.get(p.topic_id) : undefined;
    const created = p.created_at ? new Date(p.created_at) : null;
    const title = topic?.title ?? (p.topic_title_headline ? htmlText(p.topic_title_headline) : null);
    items.push({
      externalId: `${host}:${p.id}`,
      url: root && p.topic_id != null ? `${root}/t/${topic?.slug || "topic"}/${p.topic_id}/${p.post_number ?? 1}` : null,
      author: p.username ?? p.name ?? null,
      title,
      text: htmlText(p.blurb ?? ""),
      publishedAt: created && !Number.isNaN(created.getTime()) ? created : null,
      publishedRaw: p.created_at ?? null,
      extra: {
        postId: p.id,
        topicId: p.topic_id ?? null,
        postNumber: p.post_number ?? null,
        likes: p.like_count ?? 0,
        ...(topic?.category_id != null ? { categoryId: topic.category_id } : {}),
        ...(topic?.tags?.length ? { tags: topic.tags.map((t) => (typeof t === "string" ? t : t.name)) } : {}),
      },
    });
  }
  const g = doc.grouped_search_result;
  return { items, more: Boolean(g?.more_full_page_results || g?.more_posts) };
}

/** The search URL of one page. */
export function discourseSearchUrl(base: string, query: string, page: number): string {
  const q = encodeURIComponent(`${query} order:latest`);
  return `${base.replace(/\/+$/, "")}/search.json?q=${q}${page > 1 ? `&page=${page}` : ""}`;
}

/** The forum's search words: the app name and the keyword, unless the forum is the app's own (`searchAppName: false`). */
function queryFor(forum: ForumTarget, appName: string, keyword: string): string {
  return forum.config.searchAppName === false ? keyword : `${appName} ${keyword}`;
}

const discourseForums = (target: SourceTarget): ForumTarget[] => (target.forums ?? []).filter((f) => f.kind === "discourse");

export const discourse: SourceAdapter = {
  id: "discourse",
  label: "Discourse forums",
  kind: "search",
  minIntervalSec: 300,
  maxPages: MAX_PAGES,
  politeness: { concurrency: 1, minDelayMs: 2000 },

  hosts(target) {
    return [...new Set(discourseForums(target).map((f) => new URL(f.baseUrl).host))];
  },

  async plan(target) {
    const forums = discourseForums(target);
    if (forums.length === 0) {
      throw new NonRetryableError("discourse: this watchlist names no Discourse forum; add one (earshot forum add --kind discourse …) and pick it with earshot watch edit ID --forums <ids>");
    }
    return {
      scopes: forums.flatMap((f) =>
        target.keywords.map((keyword) => ({
          key: `f${f.id}:kw:${keyword}`,
          keyword,
          params: { base: f.baseUrl, q: queryFor(f, target.app.name, keyword) },
        })),
      ),
    };
  },

  async *pages(_target, scope, ctx: CrawlContext): AsyncGenerator<SourcePage> {
    const { base, q } = scope.params as { base: string; q: string };
    for (let page = 1; page <= MAX_PAGES; page++) {
      const url = discourseSearchUrl(base, q, page);
      const res = await ctx.fetcher.fetch(
        { url, source: "discourse", headers: { accept: "application/json" } },
        { log: ctx.log, ...(ctx.signal ? { signal: ctx.signal } : {}) },
      );
      const { items, more } = parseDiscourseSearch(res.body, url, base);
      const last = !more || items.length === 0;
      yield { items, url, last };
      if (last) return;
    }
  },

  parse(body, url) {
    return parseDiscourseSearch(body, url).items;
  },
};
