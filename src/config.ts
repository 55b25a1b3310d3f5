import { z } from "zod";
import { ConfigError } from "./errors.ts";

const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)?$/, "must be a duration such as 500ms, 30s, 15m, 6h or 1d")
  .transform(parseDuration);

const url = (protocols: string[]) =>
  z
    .string()
    .url("must be a URL")
    .refine((v) => URL.canParse(v) && protocols.includes(new URL(v).protocol), `must start with ${protocols.map((p) => `${p}//`).join(" or ")}`);

/**
 * Every environment variable earshot reads, with its default. The README's table is generated
 * from the same list by hand: keep them in step.
 */
const envSchema = z.object({
  /** Postgres; the database is created if it does not exist. */
  DATABASE_URL: url(["postgres:", "postgresql:"]).default("postgres://postgres@127.0.0.1:5432/earshot"),
  /** Redis for BullMQ queues, schedulers and shared per-host politeness. */
  REDIS_URL: url(["redis:", "rediss:"]).default("redis://127.0.0.1:6379"),
  /**
   * Key prefix for every BullMQ queue and the shared politeness; two deployments may share one
   * Redis with different prefixes. A hash tag (`{earshot}`) puts all of a deployment's keys in one
   * Redis Cluster slot, as BullMQ's scripts need.
   */
  EARSHOT_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]*(\{[A-Za-z0-9_-]+\})?[A-Za-z0-9_-]*$/, "may hold only letters, digits, '_' and '-', and one {hash tag}")
    .min(1)
    .default("earshot"),
  /** Postgres connections per worker process. */
  EARSHOT_DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  /** Crawl jobs one worker process runs at once. */
  EARSHOT_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
  /** Tries of a crawl job that failed for a transient reason (a network error, a 5xx, a lost connection). */
  EARSHOT_CRAWL_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  /** First wait before a crawl job is tried again; it doubles each try, with jitter. */
  EARSHOT_CRAWL_BACKOFF: duration.prefault("30s"),
  /** How often a worker checks for jobs whose worker died (stalled-job recovery). */
  EARSHOT_STALLED_INTERVAL: duration.prefault("30s"),
  /** How long a worker's lock on a job lasts without renewal. */
  EARSHOT_LOCK_DURATION: duration.prefault("30s"),
  /** pino log level. */
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** User-Agent sent to sites that do not need a browser-like one. */
  EARSHOT_USER_AGENT: z.string().min(1).default("earshot/0.1 (+https://github.com/earshot/earshot)"),
  /**
   * Point every source at one base URL (the sandbox) instead of the real sites.
   * The per-source variables below win over it.
   */
  EARSHOT_SANDBOX_URL: url(["http:", "https:"]).optional(),
  /** Apple customer-reviews RSS feed host. */
  EARSHOT_APPSTORE_URL: url(["http:", "https:"]).optional(),
  /** iTunes Search API host, used to resolve an app name to its App Store id. */
  EARSHOT_ITUNES_SEARCH_URL: url(["http:", "https:"]).optional(),
  /** Google Play web (batchexecute) host. */
  EARSHOT_GOOGLEPLAY_URL: url(["http:", "https:"]).optional(),
  /** TapTap web API host of the CN site (www.taptap.cn). */
  EARSHOT_TAPTAP_URL: url(["http:", "https:"]).optional(),
  /** TapTap web API host of the international site: www.taptap.io, or EARSHOT_TAPTAP_URL when that points elsewhere. */
  EARSHOT_TAPTAP_INTL_URL: url(["http:", "https:"]).optional(),
  /** Weibo mobile API host (m.weibo.cn). */
  EARSHOT_WEIBO_URL: url(["http:", "https:"]).optional(),
  /** Weibo desktop search host (s.weibo.com). */
  EARSHOT_WEIBO_SEARCH_URL: url(["http:", "https:"]).optional(),
  /** Weibo visitor/passport host (passport.weibo.com), for visitor cookies. */
  EARSHOT_WEIBO_PASSPORT_URL: url(["http:", "https:"]).optional(),
  /** Baidu Tieba host (tieba.baidu.com). */
  EARSHOT_TIEBA_URL: url(["http:", "https:"]).optional(),
  /**
   * Thread pages one Tieba run reads to collect the replies of threads new since the last run
   * (0: none). An unchanged run reads none.
   */
  EARSHOT_TIEBA_THREAD_PAGES: z.coerce.number().int().min(0).max(200).default(10),
  /**
   * How Tieba is searched with a cookie: auto (the signed JSON search, and the card page in the
   * browser when it fails) or browser (always the card page in the browser).
   */
  EARSHOT_TIEBA_SEARCH: z.enum(["auto", "browser"]).default("auto"),
  /** Chromium for sources that need a browser; found on the PATH or at the usual Debian paths when unset. */
  EARSHOT_CHROMIUM_PATH: z.string().min(1).optional(),
  /** Browser pages one worker process renders at once (each in its own short-lived context). */
  EARSHOT_BROWSER_CONTEXTS: z.coerce.number().int().min(1).max(16).default(2),
  /** Longest wait for a page to load and render in the browser. */
  EARSHOT_BROWSER_TIMEOUT: duration.prefault("30s"),
  /** Texts shorter than this (after normalising) are never marked as duplicates of another text. */
  EARSHOT_DEDUP_MIN_CHARS: z.coerce.number().int().min(1).default(12),
  /** Secret keying author pseudonyms (apps with pseudonymised authors need it on every process). */
  EARSHOT_AUTHOR_KEY: z.string().min(16, "must be 16 characters or more").optional(),
  /** Where the demo keeps an embedded Postgres and a private Redis when none is running. @default <project>/.data */
  EARSHOT_DATA_DIR: z.string().min(1).optional(),
  /** Tries per alert delivery before it is dead (about an hour with the default backoff). */
  EARSHOT_NOTIFY_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(10),
  /** Delay before an alert delivery's first retry; it doubles per retry, less up to 30% jitter. */
  EARSHOT_NOTIFY_BACKOFF: duration.prefault("8s"),
  /** Longest one alert delivery attempt may take (connect, answer, body). */
  EARSHOT_NOTIFY_TIMEOUT: duration.prefault("10s"),
  /** Alert deliveries one worker process sends at once. */
  EARSHOT_NOTIFY_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  /** How often the sweeper re-enqueues alert outbox rows that have no job. */
  EARSHOT_OUTBOX_SWEEP_EVERY: duration.prefault("30s"),
  /** Outbox rows younger than this are left to the commit notification. */
  EARSHOT_OUTBOX_GRACE: duration.prefault("10s"),
  /** How often spike rules are checked. */
  EARSHOT_SPIKE_CHECK_EVERY: duration.prefault("1m"),
  /** Longest wait for a TCP (and TLS) connection to a site. */
  EARSHOT_HTTP_CONNECT_TIMEOUT: duration.prefault("10s"),
  /** Longest wait for a response's headers, and longest silence while its body streams. */
  EARSHOT_HTTP_TIMEOUT: duration.prefault("30s"),
  /** Longest one attempt may take in all (connect, headers and the whole body). */
  EARSHOT_HTTP_TOTAL_TIMEOUT: duration.prefault("2m"),
  /** Bodies larger than this many bytes (after decompression) are refused. */
  EARSHOT_MAX_RESPONSE_BYTES: z.coerce.number().int().min(1024).default(5 * 1024 * 1024),
  /** Redirects followed per request; each hop is checked (login walls, robots.txt). */
  EARSHOT_MAX_REDIRECTS: z.coerce.number().int().min(0).max(20).default(5),
  /** Retries after network errors, timeouts and 5xx answers (so attempts = retries + 1). */
  EARSHOT_HTTP_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  /** First retry delay; it doubles per retry, with full jitter, up to 30s. */
  EARSHOT_HTTP_BACKOFF: duration.prefault("500ms"),
  /** Longest Retry-After (429/503) slept inside a request; longer asks end the request as rate-limited. */
  EARSHOT_MAX_RETRY_WAIT: duration.prefault("60s"),
  /** How long a source pauses on a host after the site blocks it (403, 418, 432, captcha, login wall). */
  EARSHOT_BLOCK_BACKOFF: duration.prefault("6h"),
  /** Sources that ignore robots.txt (comma-separated ids): only with the site's permission. */
  EARSHOT_ROBOTS_IGNORE: z.string().default(""),
  /** Proxy for every request of sources without their own EARSHOT_PROXIES_<SOURCE> list. */
  HTTPS_PROXY: url(["http:", "https:"]).optional(),
  /** Hosts (comma-separated; ".example.com" matches subdomains) reached without HTTPS_PROXY. */
  NO_PROXY: z.string().default(""),
});

/**
 * Per-source variables, named EARSHOT_<KIND>_<SOURCE> (the source id upper-cased, other
 * characters as "_"): not in the schema above because their names depend on the sources.
 *  - EARSHOT_POLITENESS_<SOURCE>=concurrency/minDelayMs, e.g. 2/1000
 *  - EARSHOT_PROXIES_<SOURCE>=http://p1:8080,http://p2:8080 (rotated when a site blocks)
 *  - EARSHOT_COOKIE_<SOURCE>[_<ACCOUNT>]=name=value; name2=value2 (never logged)
 */
const politenessValue = z
  .string()
  .regex(/^\d+\/\d+$/, "must be concurrency/minDelayMs, such as 2/1000")
  .transform((v) => {
    const [concurrency, minDelayMs] = v.split("/").map(Number) as [number, number];
    return { concurrency, minDelayMs };
  })
  .refine((p) => p.concurrency >= 1, "concurrency must be at least 1");
const proxyList = z
  .string()
  .transform((v) => v.split(",").map((p) => p.trim()).filter(Boolean))
  .pipe(z.array(url(["http:", "https:"])));

/** The form a source id takes in variable names: "app-store" -> "APP_STORE". */
export function sourceEnvKey(id: string): string {
  return id.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

/** Settings of the fetch layer (src/fetch). */
export interface FetchConfig {
  connectTimeoutMs: number;
  timeoutMs: number;
  totalTimeoutMs: number;
  maxResponseBytes: number;
  maxRedirects: number;
  retries: number;
  backoffBaseMs: number;
  maxRetryWaitMs: number;
  blockBackoffMs: number;
  /** Source ids allowed to ignore robots.txt. */
  robotsIgnore: readonly string[];
  httpsProxy: string | null;
  noProxy: readonly string[];
  /** By sourceEnvKey(source). */
  proxies: Readonly<Record<string, readonly string[]>>;
  /** By sourceEnvKey(source); wins over the source's own defaults. */
  politeness: Readonly<Record<string, { concurrency: number; minDelayMs: number }>>;
  /**
   * The Cookie header configured for a source and account, or undefined. A function, so that
   * printing or serialising the config never shows a cookie.
   */
  cookieHeader(source: string, account: string): string | undefined;
  /**
   * The accounts with a configured cookie for a source, sorted: "default" for
   * EARSHOT_COOKIE_<SOURCE>, the lower-cased suffix for EARSHOT_COOKIE_<SOURCE>_<ACCOUNT>.
   */
  cookieAccounts(source: string): string[];
}

export type SourceUrlKey =
  | "appstore"
  | "itunesSearch"
  | "googleplay"
  | "taptap"
  | "taptapIntl"
  | "weibo"
  | "weiboSearch"
  | "weiboPassport"
  | "tieba";

const realSiteUrls: Record<SourceUrlKey, string> = {
  appstore: "https://itunes.apple.com",
  itunesSearch: "https://itunes.apple.com",
  googleplay: "https://play.google.com",
  taptap: "https://www.taptap.cn",
  taptapIntl: "https://www.taptap.io",
  weibo: "https://m.weibo.cn",
  weiboSearch: "https://s.weibo.com",
  weiboPassport: "https://passport.weibo.com",
  tieba: "https://tieba.baidu.com",
};

export interface Config {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  dbPoolSize: number;
  workerConcurrency: number;
  /** Retries of failed crawl jobs: written into every job and job scheduler. */
  crawlRetry: { attempts: number; backoffMs: number };
  stalledIntervalMs: number;
  lockDurationMs: number;
  logLevel: z.infer<typeof envSchema>["LOG_LEVEL"];
  userAgent: string;
  /** Base URL per site: the real site, or the sandbox. */
  sourceUrls: Record<SourceUrlKey, string>;
  dedupMinChars: number;
  /** Key of author pseudonyms; null when unset. Never logged. */
  authorKey: string | null;
  /** Alert delivery (src/alerts). */
  alerts: {
    attempts: number;
    backoffMs: number;
    timeoutMs: number;
    concurrency: number;
    sweepEveryMs: number;
    graceMs: number;
    spikeEveryMs: number;
  };
  /** Local state of the demo's fallbacks (embedded Postgres, private Redis); null = the project's .data folder. */
  dataDir: string | null;
  fetch: FetchConfig;
  /** The headless browser (src/fetch/browser.ts). */
  browser: { chromiumPath: string | null; contexts: number; timeoutMs: number };
  /** Baidu Tieba (src/sources/tieba.ts). */
  tieba: { threadPages: number; search: "auto" | "browser" };
}

export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new ConfigError(`"${text}" is not a duration such as 500ms, 30s, 15m, 6h or 1d`);
  const n = Number(m[1]);
  const unit = m[2] ?? "ms";
  const factor = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[unit]!;
  return n * factor;
}

/** Parses the environment once; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    // One line per variable: the first thing wrong with it.
    const firstPerVariable = parsed.error.issues.filter(
      (issue, n, all) => all.findIndex((other) => other.path.join(".") === issue.path.join(".")) === n,
    );
    const lines = firstPerVariable.map((i) => {
      const name = i.path.join(".");
      const value = present[name];
      const secret = /KEY|SECRET|TOKEN|COOKIE|PASSWORD/.test(name);
      const shown = value === undefined || secret ? "" : ` (got "${redactUrl(String(value))}")`;
      return `  ${name}: ${i.message}${shown}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const fetchConfig = loadFetchConfig(e, present);
  const site = (key: SourceUrlKey, own: string | undefined) =>
    stripSlash(own ?? e.EARSHOT_SANDBOX_URL ?? realSiteUrls[key]);
  const taptapCn = site("taptap", e.EARSHOT_TAPTAP_URL);
  return Object.freeze({
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.EARSHOT_QUEUE_PREFIX,
    dbPoolSize: e.EARSHOT_DB_POOL_SIZE,
    workerConcurrency: e.EARSHOT_WORKER_CONCURRENCY,
    crawlRetry: Object.freeze({ attempts: e.EARSHOT_CRAWL_ATTEMPTS, backoffMs: e.EARSHOT_CRAWL_BACKOFF }),
    stalledIntervalMs: e.EARSHOT_STALLED_INTERVAL,
    lockDurationMs: e.EARSHOT_LOCK_DURATION,
    logLevel: e.LOG_LEVEL,
    userAgent: e.EARSHOT_USER_AGENT,
    sourceUrls: Object.freeze({
      appstore: site("appstore", e.EARSHOT_APPSTORE_URL),
      itunesSearch: site("itunesSearch", e.EARSHOT_ITUNES_SEARCH_URL),
      googleplay: site("googleplay", e.EARSHOT_GOOGLEPLAY_URL),
      taptap: taptapCn,
      // A TapTap URL set elsewhere (a mirror, the sandbox) serves both regions unless told apart.
      taptapIntl: e.EARSHOT_TAPTAP_INTL_URL ? stripSlash(e.EARSHOT_TAPTAP_INTL_URL) : taptapCn === realSiteUrls.taptap ? realSiteUrls.taptapIntl : taptapCn,
      weibo: site("weibo", e.EARSHOT_WEIBO_URL),
      weiboSearch: site("weiboSearch", e.EARSHOT_WEIBO_SEARCH_URL),
      weiboPassport: site("weiboPassport", e.EARSHOT_WEIBO_PASSPORT_URL),
      tieba: site("tieba", e.EARSHOT_TIEBA_URL),
    }),
    dedupMinChars: e.EARSHOT_DEDUP_MIN_CHARS,
    authorKey: e.EARSHOT_AUTHOR_KEY ?? null,
    alerts: Object.freeze({
      attempts: e.EARSHOT_NOTIFY_ATTEMPTS,
      backoffMs: e.EARSHOT_NOTIFY_BACKOFF,
      timeoutMs: e.EARSHOT_NOTIFY_TIMEOUT,
      concurrency: e.EARSHOT_NOTIFY_CONCURRENCY,
      sweepEveryMs: e.EARSHOT_OUTBOX_SWEEP_EVERY,
      graceMs: e.EARSHOT_OUTBOX_GRACE,
      spikeEveryMs: e.EARSHOT_SPIKE_CHECK_EVERY,
    }),
    dataDir: e.EARSHOT_DATA_DIR ?? null,
    fetch: fetchConfig,
    browser: Object.freeze({
      chromiumPath: e.EARSHOT_CHROMIUM_PATH ?? null,
      contexts: e.EARSHOT_BROWSER_CONTEXTS,
      timeoutMs: e.EARSHOT_BROWSER_TIMEOUT,
    }),
    tieba: Object.freeze({ threadPages: e.EARSHOT_TIEBA_THREAD_PAGES, search: e.EARSHOT_TIEBA_SEARCH }),
  });
}

function loadFetchConfig(e: z.infer<typeof envSchema>, present: Record<string, string | undefined>): FetchConfig {
  const politeness: Record<string, { concurrency: number; minDelayMs: number }> = {};
  const proxies: Record<string, string[]> = {};
  const cookies = new Map<string, string>();
  const problems: string[] = [];
  for (const [name, value] of Object.entries(present)) {
    if (value === undefined) continue;
    let m: RegExpExecArray | null;
    if ((m = /^EARSHOT_POLITENESS_([A-Z0-9_]+)$/.exec(name))) {
      const r = politenessValue.safeParse(value);
      if (r.success) politeness[m[1]!] = r.data;
      else problems.push(`  ${name}: ${r.error.issues[0]!.message} (got "${value}")`);
    } else if ((m = /^EARSHOT_PROXIES_([A-Z0-9_]+)$/.exec(name))) {
      const r = proxyList.safeParse(value);
      if (r.success) proxies[m[1]!] = r.data;
      else problems.push(`  ${name}: every proxy must be an http:// or https:// URL`);
    } else if ((m = /^EARSHOT_COOKIE_([A-Z0-9_]+)$/.exec(name))) {
      cookies.set(m[1]!, value);
    }
  }
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.join("\n")}`);
  const list = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);
  return Object.freeze({
    connectTimeoutMs: e.EARSHOT_HTTP_CONNECT_TIMEOUT,
    timeoutMs: e.EARSHOT_HTTP_TIMEOUT,
    totalTimeoutMs: e.EARSHOT_HTTP_TOTAL_TIMEOUT,
    maxResponseBytes: e.EARSHOT_MAX_RESPONSE_BYTES,
    maxRedirects: e.EARSHOT_MAX_REDIRECTS,
    retries: e.EARSHOT_HTTP_RETRIES,
    backoffBaseMs: e.EARSHOT_HTTP_BACKOFF,
    maxRetryWaitMs: e.EARSHOT_MAX_RETRY_WAIT,
    blockBackoffMs: e.EARSHOT_BLOCK_BACKOFF,
    robotsIgnore: Object.freeze(list(e.EARSHOT_ROBOTS_IGNORE)),
    httpsProxy: e.HTTPS_PROXY ?? null,
    noProxy: Object.freeze(list(e.NO_PROXY).map((h) => h.toLowerCase())),
    proxies: Object.freeze(proxies),
    politeness: Object.freeze(politeness),
    cookieHeader(source: string, account: string) {
      const key = sourceEnvKey(source);
      return account === "default"
        ? (cookies.get(key) ?? cookies.get(`${key}_DEFAULT`))
        : cookies.get(`${key}_${sourceEnvKey(account)}`);
    },
    cookieAccounts(source: string) {
      const key = sourceEnvKey(source);
      const accounts = new Set<string>();
      for (const name of cookies.keys()) {
        if (name === key || name === `${key}_DEFAULT`) accounts.add("default");
        else if (name.startsWith(`${key}_`)) accounts.add(name.slice(key.length + 1).toLowerCase());
      }
      return [...accounts].sort();
    },
  });
}

function stripSlash(u: string): string {
  return u.replace(/\/+$/, "");
}

/** Hides the password in a connection URL so it can be printed. */
export function redactUrl(value: string): string {
  try {
    const u = new URL(value);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return value;
  }
}
