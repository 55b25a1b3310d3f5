import { sql } from "drizzle-orm";
import {
  customType,
  bigint,
  bigserial,
  boolean,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/** A tsvector, written by the store stage from lexemes it computes (src/pipeline/search-terms.ts). */
const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

/** An app the team listens for: its names as users write them, and its store ids. */
export const apps = pgTable("apps", {
  id: serial("id").primaryKey(),
  name: text("name").notNull().unique(),
  aliases: text("aliases").array().notNull().default(sql`'{}'::text[]`),
  /** Apple track id (digits). Resolved from the name through the iTunes Search API when missing. */
  appstoreId: text("appstore_id"),
  /** App Store storefronts (ISO country codes), one review feed each. */
  appstoreCountries: text("appstore_countries").array().notNull().default(sql`'{us}'::text[]`),
  /** Google Play package name, e.g. com.tencent.mm. */
  playPackage: text("play_package"),
  /** Google Play review languages, each "lang-country" (hl and gl), one review list each. */
  playLangs: text("play_langs").array().notNull().default(sql`'{en-us}'::text[]`),
  /** TapTap app id (digits, as in taptap.cn/app/{id}). */
  taptapId: text("taptap_id"),
  /** Which TapTap serves the app: "cn" (taptap.cn) or "intl" (taptap.io). */
  taptapRegion: text("taptap_region").$type<"cn" | "intl">().notNull().default("cn"),
  createdAt: ts("created_at").notNull().defaultNow(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

/** What to search for an app, where, and how often. Postgres is the source of truth for schedules. */
export const watchlists = pgTable(
  "watchlists",
  {
    id: serial("id").primaryKey(),
    appId: integer("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    /** Searched together with the app name on search sources; a filter on store sources (empty = all reviews). */
    keywords: text("keywords").array().notNull(),
    sources: text("sources").array().notNull(),
    /** Forums (rows of `forums`) the discourse, forum and tieba sources search or list for this watchlist. */
    forumIds: integer("forum_ids").array().notNull().default(sql`'{}'::int[]`),
    intervalSec: integer("interval_sec").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    createdBy: text("created_by").notNull(),
    updatedBy: text("updated_by").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [index("watchlists_app_idx").on(t.appId)],
);

/**
 * A forum an admin added: a Discourse instance (kind "discourse", by base URL), any other forum
 * described by a search URL template and CSS selectors (kind "forum"), or a Baidu Tieba 吧 whose
 * thread list is watched (kind "tieba"). Watchlists pick forums through watchlists.forum_ids.
 */
export const forums = pgTable(
  "forums",
  {
    id: serial("id").primaryKey(),
    kind: text("kind").$type<"discourse" | "forum" | "tieba">().notNull(),
    name: text("name").notNull(),
    /** Discourse: the instance root; forum: the site root; tieba: the 吧's page. */
    baseUrl: text("base_url").notNull(),
    /** Kind-specific settings (forum: search URL template, selectors, date format, time zone, render). */
    config: jsonb("config").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [uniqueIndex("forums_kind_name_uq").on(t.kind, t.name)],
);

/** One post, thread or review, stored once however often and by whatever keyword it is found. */
export const mentions = pgTable(
  "mentions",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    source: text("source").notNull(),
    /** The site's own id (for store reviews, prefixed with the storefront or language). */
    externalId: text("external_id").notNull(),
    url: text("url"),
    author: text("author"),
    title: text("title"),
    text: text("text").notNull(),
    language: text("language"),
    publishedAt: ts("published_at"),
    /** The date as the site wrote it ("3分钟前"), kept because relative forms lose precision. */
    publishedRaw: text("published_raw"),
    fetchedAt: ts("fetched_at").notNull().defaultNow(),
    rating: smallint("rating"),
    appVersion: text("app_version"),
    /** Sentiment in [-1, 1]; NULL until a model has scored the text. */
    sentimentScore: real("sentiment_score"),
    sentimentLabel: text("sentiment_label"),
    complaint: boolean("complaint"),
    complaintCategory: text("complaint_category"),
    /** SHA-256 (hex, 32 chars kept) of the normalised text: exact reposts share it. */
    fingerprint: text("fingerprint").notNull(),
    /** 64-bit SimHash of the normalised text: near-duplicates lie within Hamming distance 3. */
    simhash: bigint("simhash", { mode: "bigint" }).notNull(),
    /** The four 16-bit bands of the SimHash, offset by band number, for an indexed candidate search. */
    simBands: integer("sim_bands").array().notNull(),
    /** The first mention with the same (or nearly the same) text; this row is a repost of it. */
    duplicateOf: bigint("duplicate_of", { mode: "number" }),
    /**
     * Full-text lexemes of title and text: CJK runs as character bigrams, other words by their first
     * five letters. Stored (not an index expression) so inserts pay no SQL function per row and
     * searches can walk the date index and test each row cheaply.
     */
    searchTerms: tsvector("search_terms"),
    /**
     * Apps whose watchlists found this mention (written by the store with each match, never
     * shrunk): indexed with the search terms, so "this term in this app" is one index probe even
     * when the term is common elsewhere. Searches still check mention_matches for the exact answer.
     */
    appIds: integer("app_ids").array().notNull().default(sql`'{}'::int[]`),
    /** Site-specific extras (repost counts, forum name, the original post's id). */
    extra: jsonb("extra").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    uniqueIndex("mentions_source_external_uq").on(t.source, t.externalId),
    // One btree per SimHash band instead of a GIN index over the array: cheaper to insert into
    // (one key each, no posting lists) and probed as a BitmapOr by the near-duplicate lookup.
    index("mentions_sim_band1_idx").on(sql`(${t.simBands}[1])`),
    index("mentions_sim_band2_idx").on(sql`(${t.simBands}[2])`),
    index("mentions_sim_band3_idx").on(sql`(${t.simBands}[3])`),
    index("mentions_sim_band4_idx").on(sql`(${t.simBands}[4])`),
    index("mentions_search_app_idx").using("gin", t.searchTerms, t.appIds),
  ],
);

/** An earlier version of an edited store review: the row in mentions always holds the latest. */
export const mentionRevisions = pgTable(
  "mention_revisions",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    mentionId: bigint("mention_id", { mode: "number" })
      .notNull()
      .references(() => mentions.id, { onDelete: "cascade" }),
    title: text("title"),
    text: text("text").notNull(),
    rating: smallint("rating"),
    appVersion: text("app_version"),
    publishedAt: ts("published_at"),
    /** When earshot saw the newer version replace this one. */
    changedAt: ts("changed_at").notNull().defaultNow(),
  },
  (t) => [index("mention_revisions_mention_idx").on(t.mentionId, t.changedAt)],
);

/**
 * Which watchlist and keyword found which mention, and when. No foreign keys: their per-row checks
 * (a key-share lock on the mention and, 500 times a page, on the same watchlist) cost as much as
 * the insert itself. The store locks the watchlist once a page instead, and statement triggers
 * (migration 0009) delete the matches of deleted mentions and watchlists as the cascade did.
 */
export const mentionMatches = pgTable(
  "mention_matches",
  {
    mentionId: bigint("mention_id", { mode: "number" }).notNull(),
    watchlistId: integer("watchlist_id").notNull(),
    /** The keyword that matched; '' when a store watchlist keeps every review (or a low rating kept it). */
    keyword: text("keyword").notNull(),
    firstSeenAt: ts("first_seen_at").notNull().defaultNow(),
    lastSeenAt: ts("last_seen_at").notNull().defaultNow(),
    seenCount: integer("seen_count").notNull().default(1),
  },
  (t) => [
    primaryKey({ columns: [t.mentionId, t.watchlistId, t.keyword] }),
    index("mention_matches_watchlist_idx").on(t.watchlistId, t.firstSeenAt),
  ],
);

export const crawlRunStatuses = [
  "running",
  "ok",
  "blocked",
  "rate_limited",
  "failed",
  "abandoned",
] as const;
export type CrawlRunStatus = (typeof crawlRunStatuses)[number];

/** One attempt of one (watchlist, source) crawl job. */
export const crawlRuns = pgTable(
  "crawl_runs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    watchlistId: integer("watchlist_id")
      .notNull()
      .references(() => watchlists.id, { onDelete: "cascade" }),
    source: text("source").notNull(),
    jobId: text("job_id"),
    attempt: integer("attempt").notNull().default(1),
    /** schedule, manual or demo. */
    trigger: text("trigger").notNull().default("schedule"),
    startedAt: ts("started_at").notNull().defaultNow(),
    finishedAt: ts("finished_at"),
    requests: integer("requests").notNull().default(0),
    pagesFetched: integer("pages_fetched").notNull().default(0),
    itemsSeen: integer("items_seen").notNull().default(0),
    itemsNew: integer("items_new").notNull().default(0),
    duplicates: integer("duplicates").notNull().default(0),
    status: text("status").$type<CrawlRunStatus>().notNull().default("running"),
    error: text("error"),
  },
  (t) => [
    index("crawl_runs_watchlist_idx").on(t.watchlistId, t.source, t.startedAt),
    index("crawl_runs_job_idx").on(t.jobId),
  ],
);

/** Every HTTP request a run made: what it did not collect, and why, has an answer here. */
export const fetchLog = pgTable(
  "fetch_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    runId: bigint("run_id", { mode: "number" }).references(() => crawlRuns.id, { onDelete: "cascade" }),
    at: ts("at").notNull().defaultNow(),
    method: text("method").notNull().default("GET"),
    /** The URL without secrets (tokens and cookies never reach this table). */
    url: text("url").notNull(),
    status: integer("status"),
    bytes: integer("bytes"),
    ms: integer("ms"),
    retries: integer("retries").notNull().default(0),
    error: text("error"),
  },
  (t) => [index("fetch_log_run_idx").on(t.runId)],
);

/**
 * Per (watchlist, source, scope) high-water mark. A scope is a storefront, a language or a keyword:
 * the unit a source pages through newest first.
 */
export const sourceCursors = pgTable(
  "source_cursors",
  {
    watchlistId: integer("watchlist_id")
      .notNull()
      .references(() => watchlists.id, { onDelete: "cascade" }),
    source: text("source").notNull(),
    scope: text("scope").notNull(),
    lastExternalId: text("last_external_id"),
    lastPublishedAt: ts("last_published_at"),
    /** Site-specific continuation state. */
    state: jsonb("state").$type<Record<string, unknown>>().notNull().default({}),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.watchlistId, t.source, t.scope] })],
);

/** Whether a source is usable on a host right now; a blocked source waits until blocked_until. */
export const sourceHealth = pgTable(
  "source_health",
  {
    source: text("source").notNull(),
    host: text("host").notNull(),
    state: text("state").$type<"ok" | "blocked">().notNull(),
    reason: text("reason"),
    since: ts("since").notNull().defaultNow(),
    blockedUntil: ts("blocked_until"),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.source, t.host] })],
);

export const alertSeverities = ["info", "warning", "critical"] as const;
export type AlertSeverity = (typeof alertSeverities)[number];
export const alertRuleKinds = ["low_rating", "complaint", "keyword", "spike", "source_health"] as const;
export type AlertRuleKind = (typeof alertRuleKinds)[number];
export const channelKinds = ["webhook", "slack", "dingtalk", "wecom", "feishu", "email", "console"] as const;
export type ChannelKind = (typeof channelKinds)[number];
export type AlertState = "open" | "acked" | "resolved";
export type DeliveryState = "pending" | "delivered" | "dead";

/** When to tell operators about a watchlist's mentions (or, with no watchlist, about source health). */
export const alertRules = pgTable(
  "alert_rules",
  {
    id: serial("id").primaryKey(),
    /** NULL only for source_health rules, which watch the sources themselves. */
    watchlistId: integer("watchlist_id").references(() => watchlists.id, { onDelete: "cascade" }),
    kind: text("kind").$type<AlertRuleKind>().notNull(),
    severity: text("severity").$type<AlertSeverity>().notNull().default("warning"),
    /** Kind-specific settings (maxRating, maxScore, categories, words, window, minCount, factor…). */
    params: jsonb("params").$type<Record<string, unknown>>().notNull().default({}),
    /** Channels to deliver to; empty = every enabled channel. */
    channelIds: integer("channel_ids").array().notNull().default(sql`'{}'::int[]`),
    /** No second delivered alert for the same thread or author within this many seconds (0 = off). */
    cooldownSec: integer("cooldown_sec").notNull().default(0),
    cooldownBy: text("cooldown_by").$type<"thread" | "author">().notNull().default("thread"),
    enabled: boolean("enabled").notNull().default(true),
    createdBy: text("created_by").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [index("alert_rules_watchlist_idx").on(t.watchlistId)],
);

/** Where alerts go. The secret (signing key, SMTP password) is stored but never listed or logged. */
export const channels = pgTable("channels", {
  id: serial("id").primaryKey(),
  name: text("name").notNull().unique(),
  kind: text("kind").$type<ChannelKind>().notNull(),
  /** Webhook URL or smtp(s):// URL; for chat robots the URL itself holds a token, so it is shown redacted. */
  target: text("target").notNull(),
  /** Non-secret settings: email from/to, Feishu format. */
  settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
  secret: text("secret"),
  /** Lets the target resolve to loopback, private, link-local or metadata addresses. */
  allowPrivateTargets: boolean("allow_private_targets").notNull().default(false),
  /** Lets the target use plain http:// (or SMTP without TLS). */
  allowInsecure: boolean("allow_insecure").notNull().default(false),
  enabled: boolean("enabled").notNull().default(true),
  createdBy: text("created_by").notNull(),
  createdAt: ts("created_at").notNull().defaultNow(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

/** Noise control per watchlist: mute, digest, quiet hours. */
export const alertSettings = pgTable("alert_settings", {
  watchlistId: integer("watchlist_id")
    .primaryKey()
    .references(() => watchlists.id, { onDelete: "cascade" }),
  muted: boolean("muted").notNull().default(false),
  /** One message per channel for all alerts of this many minutes (0 = each alert on its own). */
  digestMinutes: integer("digest_minutes").notNull().default(0),
  /** Quiet hours as HH:MM in the time zone; deliveries below the breakthrough severity wait until the end. */
  quietStart: text("quiet_start"),
  quietEnd: text("quiet_end"),
  timezone: text("timezone").notNull().default("UTC"),
  breakthrough: text("breakthrough").$type<AlertSeverity>().notNull().default("critical"),
  updatedBy: text("updated_by").notNull(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

/**
 * The transactional outbox: one row per (rule, original mention), spike episode or source-health
 * change, written in the transaction that found it. dedup_key makes reruns and redelivered jobs harmless.
 */
export const alerts = pgTable(
  "alerts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    ruleId: integer("rule_id").references(() => alertRules.id, { onDelete: "set null" }),
    watchlistId: integer("watchlist_id").references(() => watchlists.id, { onDelete: "cascade" }),
    kind: text("kind").$type<AlertRuleKind>().notNull(),
    severity: text("severity").$type<AlertSeverity>().notNull(),
    mentionId: bigint("mention_id", { mode: "number" }).references(() => mentions.id, { onDelete: "set null" }),
    dedupKey: text("dedup_key").notNull().unique(),
    /** "thread:…" or "author:…" when the rule has a cooldown. */
    cooldownKey: text("cooldown_key"),
    /** Why nothing was delivered: muted or cooldown. NULL = delivered to the rule's channels. */
    suppressed: text("suppressed"),
    /** What the message shows (app, source, rating, sentiment, keywords, excerpt, link…). */
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    state: text("state").$type<AlertState>().notNull().default("open"),
    ackedBy: text("acked_by"),
    ackedAt: ts("acked_at"),
    resolvedBy: text("resolved_by"),
    resolvedAt: ts("resolved_at"),
    note: text("note"),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [
    index("alerts_state_idx").on(t.state, t.createdAt),
    index("alerts_cooldown_idx").on(t.ruleId, t.cooldownKey, t.createdAt),
  ],
);

/** One alert to one channel: pending until delivered, or dead after the last try. */
export const deliveries = pgTable(
  "deliveries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    alertId: bigint("alert_id", { mode: "number" })
      .notNull()
      .references(() => alerts.id, { onDelete: "cascade" }),
    channelId: integer("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    state: text("state").$type<DeliveryState>().notNull().default("pending"),
    /** Set when the watchlist digests: sent together with the others of the same window at this time. */
    digestUntil: ts("digest_until"),
    attempts: integer("attempts").notNull().default(0),
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
    deliveredAt: ts("delivered_at"),
    /** Set while a worker sends this delivery, so a second copy of its job waits instead of sending too. */
    claimedUntil: ts("claimed_until"),
  },
  (t) => [
    uniqueIndex("deliveries_alert_channel_uq").on(t.alertId, t.channelId),
    index("deliveries_pending_idx").on(t.createdAt).where(sql`state = 'pending'`),
  ],
);

/** Every delivery attempt, without secrets. */
export const deliveryLog = pgTable(
  "delivery_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    deliveryId: bigint("delivery_id", { mode: "number" })
      .notNull()
      .references(() => deliveries.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    at: ts("at").notNull().defaultNow(),
    statusCode: integer("status_code"),
    latencyMs: integer("latency_ms"),
    error: text("error"),
  },
  (t) => [index("delivery_log_delivery_idx").on(t.deliveryId)],
);

/** A burst of negative mentions: at most one open episode per spike rule, one alert per episode. */
export const spikeEpisodes = pgTable(
  "spike_episodes",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    ruleId: integer("rule_id")
      .notNull()
      .references(() => alertRules.id, { onDelete: "cascade" }),
    startedAt: ts("started_at").notNull().defaultNow(),
    endedAt: ts("ended_at"),
    peakCount: integer("peak_count").notNull(),
    baseline: real("baseline").notNull(),
    lastCount: integer("last_count").notNull(),
  },
  (t) => [uniqueIndex("spike_episodes_open_uq").on(t.ruleId).where(sql`ended_at is null`)],
);

/** Per source and condition (blocked, failing, silent): whether it is alerting, so admins hear once per change. */
export const sourceAlertState = pgTable(
  "source_alert_state",
  {
    source: text("source").notNull(),
    condition: text("condition").$type<"blocked" | "failing" | "silent">().notNull(),
    active: boolean("active").notNull().default(false),
    /** Counts starts, so each start and its recovery have their own alert. */
    episode: integer("episode").notNull().default(0),
    /** Consecutive failed or empty runs. */
    streak: integer("streak").notNull().default(0),
    /** Items a healthy run usually parses (moving average), for noticing a silent layout change. */
    usualItems: real("usual_items"),
    samples: integer("samples").notNull().default(0),
    detail: text("detail"),
    since: ts("since").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.source, t.condition] })],
);

/** Roles an API token can hold; every route names the roles it allows. */
export const apiRoles = ["admin", "analyst", "operator", "ingest"] as const;
export type ApiRole = (typeof apiRoles)[number];

/** Bearer tokens of the HTTP API. Only a SHA-256 of the token is kept; it is shown once, at creation. */
export const apiTokens = pgTable("api_tokens", {
  id: serial("id").primaryKey(),
  name: text("name").notNull(),
  role: text("role").$type<ApiRole>().notNull(),
  /** SHA-256 (hex) of the whole token. */
  tokenHash: text("token_hash").notNull().unique(),
  /** The first characters of the token, to tell tokens apart in lists. */
  prefix: text("prefix").notNull(),
  createdBy: text("created_by").notNull(),
  createdAt: ts("created_at").notNull().defaultNow(),
  lastUsedAt: ts("last_used_at"),
  revokedAt: ts("revoked_at"),
});

/** Every change an admin or operator makes through the API or CLI: who, what, when, before and after. */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: ts("at").notNull().defaultNow(),
    /** "token:<id>:<name>" or "cli:<user>". */
    actor: text("actor").notNull(),
    role: text("role"),
    /** create, update, disable, delete, ack, resolve, retry, revoke, import, delete-by-author… */
    action: text("action").notNull(),
    entity: text("entity").notNull(),
    entityId: text("entity_id"),
    before: jsonb("before").$type<unknown>(),
    after: jsonb("after").$type<unknown>(),
  },
  (t) => [index("audit_log_at_idx").on(t.at), index("audit_log_entity_idx").on(t.entity, t.entityId)],
);

/** Privacy and retention per app. No row = keep mentions forever, store authors as written. */
export const appSettings = pgTable("app_settings", {
  appId: integer("app_id")
    .primaryKey()
    .references(() => apps.id, { onDelete: "cascade" }),
  /** Mentions older than this many days are deleted (their daily counts stay in mention_daily). NULL = forever. */
  retentionDays: integer("retention_days"),
  /** Store a keyed hash instead of the author's name (PIPL/GDPR pseudonymisation). */
  pseudonymiseAuthors: boolean("pseudonymise_authors").notNull().default(false),
  updatedBy: text("updated_by").notNull(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

/** Daily counts of mentions removed by retention, so trends reach back further than the mentions. */
export const mentionDaily = pgTable(
  "mention_daily",
  {
    appId: integer("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    day: date("day", { mode: "string" }).notNull(),
    source: text("source").notNull(),
    /** '' when the mention had no label. */
    sentimentLabel: text("sentiment_label").notNull(),
    /** '' when the mention was not a complaint or had no category. */
    complaintCategory: text("complaint_category").notNull(),
    mentions: integer("mentions").notNull(),
    complaints: integer("complaints").notNull(),
    ratingSum: integer("rating_sum").notNull(),
    ratingCount: integer("rating_count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.appId, t.day, t.source, t.sentimentLabel, t.complaintCategory] })],
);

export type App = typeof apps.$inferSelect;
export type NewApp = typeof apps.$inferInsert;
export type Watchlist = typeof watchlists.$inferSelect;
export type NewWatchlist = typeof watchlists.$inferInsert;
export type Mention = typeof mentions.$inferSelect;
export type MentionRevision = typeof mentionRevisions.$inferSelect;
export type CrawlRun = typeof crawlRuns.$inferSelect;
export type SourceCursor = typeof sourceCursors.$inferSelect;
export type Forum = typeof forums.$inferSelect;
export type AlertRule = typeof alertRules.$inferSelect;
export type Channel = typeof channels.$inferSelect;
export type AlertSettings = typeof alertSettings.$inferSelect;
export type Alert = typeof alerts.$inferSelect;
export type Delivery = typeof deliveries.$inferSelect;
export type ApiToken = typeof apiTokens.$inferSelect;
export type AuditEntry = typeof auditLog.$inferSelect;
export type AppSettings = typeof appSettings.$inferSelect;
