/**
 * Any other forum, described by configuration instead of code (`earshot forum add --kind forum`):
 * a search URL template and CSS selectors for one result and its parts. Pages that render their
 * results with JavaScript are opened in the headless browser (`render: true`). One scope per
 * (forum, keyword); results are expected newest first (pick the forum's "by date" search).
 */
import { load, type CheerioAPI } from "cheerio";
import { z } from "zod";
import { NonRetryableError, ParseError, TransientFetchError, UsageError } from "../errors.ts";
import { BrowserUnavailableError, sharedBrowser } from "../fetch/browser.ts";
import { redactUrl } from "../fetch/redact.ts";
import { isTimeZone, parseChineseDate, parseDateWithFormat } from "./dates.ts";
import type { CrawlContext, ForumTarget, RawMention, SourceAdapter, SourcePage } from "./types.ts";

const MAX_PAGES = 5;

/** A configured forum's settings (forums.config), checked when the admin adds it. */
export const forumConfigSchema = z.object({
  /** With {query} (URL-encoded search words) and optionally {page} (1-based) or {offset}. */
  searchUrl: z
    .string()
    .url("searchUrl must be a URL")
    .refine((v) => v.includes("{query}"), "searchUrl must contain {query}"),
  /** Results per page, for {offset} templates. @default 20 */
  pageSize: z.number().int().min(1).max(200).default(20),
  selectors: z.object({
    /** One result. */
    item: z.string().min(1),
    /** Inside a result: its title text. */
    title: z.string().min(1),
    /** Inside a result: the link to the post (href); the post's id is its absolute URL. */
    link: z.string().min(1),
    /** Inside a result: the text or excerpt. */
    text: z.string().min(1),
    author: z.string().min(1).optional(),
    date: z.string().min(1).optional(),
    /** Anywhere: a next-page link; without it, paging stops at an empty page. */
    next: z.string().min(1).optional(),
  }),
  /** Tokens YYYY MM DD HH mm ss (M, D, H single-digit), or iso, unix, relative (刚刚, 3分钟前, 昨天 12:00, …). @default "relative" */
  dateFormat: z.string().min(1).default("relative"),
  /** IANA zone of the dates the forum writes. @default "Asia/Shanghai" */
  timeZone: z.string().refine(isTimeZone, "timeZone must be an IANA time zone such as Asia/Shanghai").default("Asia/Shanghai"),
  /** Open the page in the headless browser (results rendered by JavaScript). @default false */
  render: z.boolean().default(false),
  /** Search the keyword alone, not "app name + keyword" (a forum about the app only). @default true */
  searchAppName: z.boolean().default(true),
});
export type ForumConfig = z.infer<typeof forumConfigSchema>;

/** Reads a stored or given forum config; throws UsageError naming each bad field. */
export function readForumConfig(config: unknown, forumName = "forum"): ForumConfig {
  const r = forumConfigSchema.safeParse(config);
  if (!r.success) {
    throw new UsageError(`forum "${forumName}": ${r.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`).join("; ")}`);
  }
  return r.data;
}

/** The URL of a search page. */
export function forumSearchUrl(config: ForumConfig, query: string, page: number): string {
  return config.searchUrl
    .replaceAll("{query}", encodeURIComponent(query))
    .replaceAll("{page}", String(page))
    .replaceAll("{offset}", String((page - 1) * config.pageSize));
}

export interface ForumPage {
  items: RawMention[];
  hasNext: boolean;
  /** How many results each selector matched (item: results; the others: results where it matched). */
  matched: Record<string, number>;
}

const clean = (s: string) => s.replace(/\s+/g, " ").trim();

/** Parses a search page with the forum's selectors. Pure; `url` resolves relative links. */
export function parseForumPage(body: string, url: string, config: ForumConfig, forum: Pick<ForumTarget, "id" | "name">, now = Date.now()): ForumPage {
  let $: CheerioAPI;
  try {
    $ = load(body);
  } catch (err) {
    throw new ParseError(`forum "${forum.name}": ${redactUrl(url)} is not HTML (${(err as Error).message})`, { source: "forum", url: redactUrl(url) });
  }
  const s = config.selectors;
  const matched: Record<string, number> = { item: 0, title: 0, link: 0, text: 0, ...(s.author ? { author: 0 } : {}), ...(s.date ? { date: 0 } : {}) };
  const items: RawMention[] = [];
  $(s.item).each((_, el) => {
    matched.item!++;
    const node = $(el);
    const part = (sel: string | undefined, key: string) => {
      if (!sel) return null;
      const found = node.find(sel).first();
      if (found.length === 0) return null;
      matched[key]!++;
      return found;
    };
    const title = part(s.title, "title");
    const link = part(s.link, "link");
    const text = part(s.text, "text");
    const author = part(s.author, "author");
    const date = part(s.date, "date");
    const href = link?.attr("href");
    if (!href) return;
    let absolute: string;
    try {
      absolute = new URL(href, url).toString();
    } catch {
      return;
    }
    const rawDate = date ? clean(date.attr("datetime") ?? date.attr("title") ?? date.text()) : null;
    const publishedAt = rawDate
      ? (parseDateWithFormat(rawDate, config.dateFormat, config.timeZone, now) ?? (config.dateFormat === "relative" ? null : parseChineseDate(rawDate, now)))
      : null;
    items.push({
      externalId: absolute,
      url: absolute,
      author: author ? clean(author.text()) || null : null,
      title: title ? clean(title.text()) || null : null,
      text: text ? clean(text.text()) : "",
      publishedAt,
      publishedRaw: rawDate,
      extra: { forumId: forum.id, forum: forum.name },
    });
  });
  return { items, hasNext: s.next ? $(s.next).length > 0 : items.length > 0, matched };
}

/** Fetches one search page's HTML: plain HTTP, or the headless browser for `render: true` forums. */
async function loadPage(ctx: CrawlContext, forum: ForumTarget, config: ForumConfig, url: string): Promise<string> {
  if (!config.render) {
    const res = await ctx.fetcher.fetch({ url, source: "forum" }, { log: ctx.log, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    return res.body;
  }
  const pool = sharedBrowser(ctx.config);
  if (!pool.available) {
    throw new BrowserUnavailableError(`forum "${forum.name}" renders its results with JavaScript (render: true), but ${pool.unavailableReason()}`);
  }
  const started = performance.now();
  const entry = { method: "GET", url: `${redactUrl(url)} (browser)`, bytes: null, retries: 0 };
  try {
    const html = await pool.withPage(async (page) => {
      const res = await page.goto(url, { waitUntil: "domcontentloaded" });
      if (res && res.status() >= 400) throw new TransientFetchError(`${redactUrl(url)} answered HTTP ${res.status()} in the browser`, { url: redactUrl(url), status: res.status() });
      // The results, or the page settled without any (a search with no hits).
      await Promise.race([
        page.waitForSelector(config.selectors.item, { state: "attached" }),
        page.waitForLoadState("networkidle").then(() => page.waitForTimeout(300)),
      ]);
      return page.content();
    });
    ctx.log({ ...entry, status: 200, ms: Math.round(performance.now() - started), error: null });
    return html;
  } catch (err) {
    ctx.log({ ...entry, status: null, ms: Math.round(performance.now() - started), error: err instanceof Error ? `${err.name}: ${err.message.split("\n")[0]}` : String(err) });
    if (err instanceof TransientFetchError || err instanceof NonRetryableError) throw err;
    throw new TransientFetchError(`the browser could not render ${redactUrl(url)}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`, { url: redactUrl(url) }, { cause: err });
  }
}

/** What a test fetch of a configured forum found, selector by selector (`earshot source test forum`). */
export interface ForumTestReport {
  url: string;
  items: RawMention[];
  matched: Record<string, number>;
  /** One line per selector that matched nothing, naming it. */
  problems: string[];
}

/** Fetches the first search page for `query` and reports which selectors matched. */
export async function testForum(ctx: CrawlContext, forum: ForumTarget, query: string): Promise<ForumTestReport> {
  const config = readForumConfig(forum.config, forum.name);
  const url = forumSearchUrl(config, query, 1);
  const body = await loadPage(ctx, forum, config, url);
  const page = parseForumPage(body, url, config, forum);
  const problems: string[] = [];
  if (page.matched.item === 0) {
    problems.push(`selectors.item "${config.selectors.item}" matched nothing on ${redactUrl(url)}${config.render ? "" : " (if the page builds its results with JavaScript, set render: true)"}`);
  } else {
    for (const [key, n] of Object.entries(page.matched)) {
      if (key !== "item" && n === 0) {
        problems.push(`selectors.${key} "${config.selectors[key as keyof ForumConfig["selectors"]]}" matched nothing inside any of the ${page.matched.item} results`);
      }
    }
    const undated = page.items.filter((i) => i.publishedRaw && !i.publishedAt);
    if (undated.length) problems.push(`dateFormat "${config.dateFormat}" could not read "${undated[0]!.publishedRaw}" (${undated.length} of ${page.items.length} results)`);
  }
  return { url: redactUrl(url), items: page.items, matched: page.matched, problems };
}

export const forum: SourceAdapter = {
  id: "forum",
  label: "Configured forums",
  kind: "search",
  minIntervalSec: 600,
  maxPages: MAX_PAGES,
  politeness: { concurrency: 1, minDelayMs: 3000 },

  async plan(target) {
    const forums = (target.forums ?? []).filter((f) => f.kind === "forum");
    if (forums.length === 0) {
      throw new NonRetryableError("forum: this watchlist names no configured forum; add one (earshot forum add --kind forum …) and pick it with earshot watch edit ID --forums <ids>");
    }
    return {
      scopes: forums.flatMap((f) => {
        const config = readForumConfig(f.config, f.name);
        return target.keywords.map((keyword) => ({
          key: `f${f.id}:kw:${keyword}`,
          keyword,
          params: { forumId: String(f.id), q: config.searchAppName ? `${target.app.name} ${keyword}` : keyword },
        }));
      }),
    };
  },

  async *pages(target, scope, ctx): AsyncGenerator<SourcePage> {
    const f = (target.forums ?? []).find((x) => String(x.id) === scope.params.forumId);
    if (!f) throw new NonRetryableError(`forum ${scope.params.forumId} is no longer configured`);
    const config = readForumConfig(f.config, f.name);
    for (let page = 1; page <= MAX_PAGES; page++) {
      const url = forumSearchUrl(config, scope.params.q!, page);
      const body = await loadPage(ctx, f, config, url);
      const parsed = parseForumPage(body, url, config, f);
      if (page === 1 && (parsed.matched.item ?? 0) > 0 && parsed.items.length === 0) {
        throw new ParseError(`forum "${f.name}": ${parsed.matched.item} results on ${redactUrl(url)} but none has a link (selectors.link "${config.selectors.link}"): the page layout changed`, {
          source: "forum",
          url: redactUrl(url),
        });
      }
      const last = !parsed.hasNext || parsed.items.length === 0;
      yield { items: parsed.items, url: redactUrl(url), last };
      if (last) return;
    }
  },

  parse(_body, url) {
    throw new ParseError("A configured forum's page can only be read with its configuration: use earshot source test forum --forum ID", {
      source: "forum",
      ...(url ? { url } : {}),
    });
  },
};
