import type { Config } from "../config.ts";
import type { FetchLogEntry, Fetcher } from "../fetch/types.ts";

/** What one watchlist asks of a source: an app (with its names and store ids) and keywords. */
export interface SourceTarget {
  app: {
    id: number;
    name: string;
    aliases: string[];
    appstoreId: string | null;
    appstoreCountries: string[];
    playPackage: string | null;
    /** Google Play review languages, "lang-country" each (e.g. "en-us"). */
    playLangs: string[];
    taptapId: string | null;
    taptapRegion: "cn" | "intl";
  };
  keywords: string[];
  /** The forums the watchlist picked (watchlists.forum_ids): Discourse instances, configured forums, Tieba 吧. */
  forums?: ForumTarget[];
}

/** A forum an admin added (`earshot forum add`), as the discourse, forum and tieba sources see it. */
export interface ForumTarget {
  id: number;
  kind: "discourse" | "forum" | "tieba";
  name: string;
  baseUrl: string;
  config: Record<string, unknown>;
}

/**
 * The unit a source pages through newest first, with its own cursor: a storefront, a language,
 * a keyword search, a forum's thread list.
 */
export interface CrawlScope {
  /** Stable key of the scope, used for its cursor: "cn", "kw:闪退", "forum:微信". */
  key: string;
  /** On search sources, the keyword whose search found these items; null on store feeds. */
  keyword: string | null;
  params: Record<string, string>;
  /**
   * Set by the crawl job: where the last run of this scope stopped. Sources may use it to skip
   * work on items the job will not keep (fetching the long text of a post already stored).
   */
  cursor?: { lastExternalId: string | null; lastPublishedAt: Date | null };
}

/** One item as a site gives it, before normalising and scoring. */
export interface RawMention {
  /** The site's id, unique within the source (store reviews: prefixed with the storefront). */
  externalId: string;
  url: string | null;
  author: string | null;
  title: string | null;
  text: string;
  publishedAt: Date | null;
  /** The date string as the site wrote it. */
  publishedRaw?: string | null;
  rating?: number | null;
  appVersion?: string | null;
  extra?: Record<string, unknown>;
  /** A post this one reposts: stored as a mention of its own, linked from this one. */
  reposted?: RawMention | null;
}

export interface SourcePage {
  items: RawMention[];
  /** The request URL of this page (without secrets), for logs and parse errors. */
  url: string;
  /** True when the site says nothing follows this page. */
  last: boolean;
}

export interface CrawlContext {
  config: Readonly<Config>;
  fetcher: Fetcher;
  /** Records each request of the run in its fetch log. */
  log: (entry: FetchLogEntry) => void;
  signal?: AbortSignal;
}

export interface ScopePlan {
  scopes: CrawlScope[];
  /** Store ids the source resolved (an App Store id from the app's name): saved on the app. */
  appUpdate?: { appstoreId?: string; playPackage?: string };
}

/**
 * A site earshot reads. A new site is one file in src/sources/ exporting one of these,
 * listed in src/sources/index.ts. Parsing is pure; fetching goes through ctx.fetcher.
 */
export interface SourceAdapter {
  /** Stored in mentions.source and watchlists.sources. */
  id: string;
  label: string;
  /**
   * search: each keyword is searched (with the app name) and what it finds matches that keyword.
   * store: the app's own feed; every item is kept and keywords mark which ones match.
   */
  kind: "search" | "store";
  /** Shortest schedule interval an admin may set. */
  minIntervalSec: number;
  /** Most pages one run reads per scope (the first run of a new watchlist stops here). */
  maxPages: number;
  /** Per-host politeness defaults. */
  politeness: { concurrency: number; minDelayMs: number };
  /**
   * The hosts a run for this target sends requests to, known without fetching. A block on one
   * of them pauses the run and a good run clears blocks on them only; without it, a block on any
   * host pauses every run of the source (sites whose hosts share one account or session).
   */
  hosts?(target: SourceTarget, config: Readonly<Config>): string[];
  plan(target: SourceTarget, ctx: CrawlContext): Promise<ScopePlan>;
  /** Yields pages newest first; the caller stops iterating once it reaches its cursor. */
  pages(target: SourceTarget, scope: CrawlScope, ctx: CrawlContext): AsyncIterable<SourcePage>;
  /** Parses a saved response body of this source (any format it reads). Throws ParseError. */
  parse(body: string, url?: string): RawMention[];
}
