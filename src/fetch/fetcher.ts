/**
 * The Fetcher sources use: redirects (each hop checked), retries with backoff, Retry-After,
 * block detection with proxy rotation, robots.txt, per-host politeness shared through Redis,
 * cookie jars, charset decoding, and one fetch-log entry per request.
 */
import type { Redis } from "ioredis";
import { sourceEnvKey, type Config } from "../config.ts";
import {
  BlockedError,
  RateLimitedError,
  RedirectError,
  RobotsDisallowedError,
  TransientFetchError,
  UsageError,
} from "../errors.ts";
import { backoffDelay, parseRetryAfter, sleep } from "./backoff.ts";
import { blockedStatusReason, challengePageReason, formatBlockAdvice, formatDuration, wallRedirectReason } from "./block.ts";
import { decodeBody, type DecodedBody } from "./charset.ts";
import { CookieJars } from "./cookies.ts";
import { Transport, type HopResponse } from "./http.ts";
import { Politeness, type PolitenessLimits } from "./politeness.ts";
import { redactProxy, redactUrl } from "./redact.ts";
import { ROBOTS_MAX_BYTES, RobotsCache, type RobotsFetchResult } from "./robots.ts";
import type { FetchCallOptions, Fetcher, FetchLogEntry, FetchRequest, FetchResponse } from "./types.ts";

export interface FetcherOptions {
  /**
   * Redis for politeness slots and the robots.txt cache, under `${prefix}:fetch:`. Shared use
   * is fine (no blocking commands); close() leaves it open.
   */
  redis: Redis;
  /** Key prefix, normally config.queuePrefix. */
  prefix: string;
  /** Timeouts, limits, retries, proxies, cookies and overrides come from config.fetch. */
  config: Readonly<Config>;
  /**
   * Politeness per source id, normally each adapter's `politeness`. EARSHOT_POLITENESS_<SOURCE>
   * wins over it. @default {} (every source uses defaultPoliteness)
   */
  politeness?: Readonly<Record<string, PolitenessLimits>>;
  /** For sources missing from `politeness`. @default { concurrency: 1, minDelayMs: 1000 } */
  defaultPoliteness?: PolitenessLimits;
  /** User-Agent header, unless a request sets its own. @default config.userAgent */
  userAgent?: string;
}

/** One request, one slot on one host: the fetcher gives every hop its own politeness slot. */
const DEFAULT_POLITENESS: PolitenessLimits = { concurrency: 1, minDelayMs: 1000 };
/** Slots outlive the longest hop by this much before Redis frees them for a dead process. */
const LEASE_MARGIN_MS = 10_000;
/** RFC 9309 2.3.1.2: follow at least five redirects for robots.txt. */
const ROBOTS_MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** What a request went through, for its log entry. */
interface Trace {
  retries: number;
  status: number | null;
  bytes: number | null;
}

/** The last hop of an attempt: where it ended, its answer, and the body if already decoded. */
interface FinalHop {
  url: URL;
  res: HopResponse;
  decoded: DecodedBody | null;
}

/** A network failure of one attempt, worth retrying: the description says what happened. */
class AttemptFailure extends Error {
  override name = "AttemptFailure";
}

/** Creates a Fetcher. Nothing connects until the first request. */
export function createFetcher(options: FetcherOptions): Fetcher {
  return new PoliteFetcher(options);
}

class PoliteFetcher implements Fetcher {
  private readonly settings: Config["fetch"];
  private readonly transport: Transport;
  private readonly politeness: Politeness;
  private readonly robots: RobotsCache;
  private readonly cookies: CookieJars;
  private readonly userAgent: string;
  /** Index into each source's proxy list; it moves on when a site blocks the current proxy. */
  private readonly proxyCursor = new Map<string, number>();

  constructor(private readonly options: FetcherOptions) {
    this.settings = options.config.fetch;
    this.userAgent = options.userAgent ?? options.config.userAgent;
    this.transport = new Transport({
      connectTimeoutMs: this.settings.connectTimeoutMs,
      timeoutMs: this.settings.timeoutMs,
    });
    this.politeness = new Politeness(options.redis, options.prefix, this.settings.totalTimeoutMs + LEASE_MARGIN_MS);
    this.robots = new RobotsCache(options.redis, options.prefix, this.userAgent, (url, source, signal) =>
      this.loadRobots(url, source, signal),
    );
    this.cookies = new CookieJars((source, account) => this.settings.cookieHeader(source, account));
  }

  async fetch(req: FetchRequest, call: FetchCallOptions = {}): Promise<FetchResponse> {
    const started = performance.now();
    const trace: Trace = { retries: 0, status: null, bytes: null };
    const entry = (fields: Partial<FetchLogEntry>): FetchLogEntry => ({
      method: req.method ?? "GET",
      url: redactUrl(req.url),
      status: trace.status,
      bytes: trace.bytes,
      ms: Math.round(performance.now() - started),
      retries: trace.retries,
      error: null,
      ...fields,
    });
    try {
      const res = await this.fetchWithRetries(req, call.signal, trace);
      res.ms = Math.round(performance.now() - started);
      call.log?.(entry({ status: res.status, bytes: res.bytes }));
      return res;
    } catch (err) {
      call.log?.(entry({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }));
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  private async fetchWithRetries(req: FetchRequest, signal: AbortSignal | undefined, trace: Trace): Promise<FetchResponse> {
    const url = parseRequestUrl(req.url);
    const proxies = this.proxiesFor(req.source, url.hostname);
    let proxiesTried = 1;
    let lastFailure = "";
    for (let attempt = 0; ; attempt++) {
      trace.retries = attempt;
      const proxy = proxies[(this.proxyCursor.get(req.source) ?? 0) % proxies.length] ?? null;
      const retriesLeft = attempt < this.settings.retries;
      let final: FinalHop;
      try {
        final = await this.followRedirects(req, url, proxy, signal, trace);
      } catch (err) {
        if (err instanceof BlockedError && proxiesTried < proxies.length) {
          // A new identity is not a blind retry: try the next proxy, and keep it for later requests.
          this.proxyCursor.set(req.source, (this.proxyCursor.get(req.source) ?? 0) + 1);
          proxiesTried++;
          continue;
        }
        if (!(err instanceof AttemptFailure)) throw err;
        lastFailure = err.message;
        if (!retriesLeft) throw this.exhausted(req, url, lastFailure, trace, err.cause);
        await sleep(backoffDelay(attempt + 1, this.settings.backoffBaseMs), signal);
        continue;
      }
      const { res } = final;
      trace.status = res.status;
      trace.bytes = res.body.byteLength;
      if (res.status === 429 || res.status === 503) {
        const asked = parseRetryAfter(res.headers["retry-after"]);
        if (asked !== null || res.status === 429) {
          const waitMs = asked ?? backoffDelay(attempt + 1, this.settings.backoffBaseMs);
          // Every worker holds back on the host, but never longer than a request would wait:
          // a longer ask ends the run (RateLimitedError) instead of stalling every other one.
          await this.politeness.defer(final.url.host, Math.min(waitMs, this.settings.maxRetryWaitMs));
          if (waitMs > this.settings.maxRetryWaitMs || !retriesLeft) {
            throw this.rateLimited(req, final.url, res.status, asked ?? this.settings.maxRetryWaitMs);
          }
          await sleep(waitMs, signal);
          continue;
        }
      }
      if (res.status >= 500) {
        lastFailure = `HTTP ${res.status}`;
        if (!retriesLeft) throw this.exhausted(req, url, lastFailure, trace);
        await sleep(backoffDelay(attempt + 1, this.settings.backoffBaseMs), signal);
        continue;
      }
      const { text, charset } = final.decoded ?? decodeBody(res.body, res.headers["content-type"]);
      return this.buildResponse(final.url, res, text, charset, trace.retries);
    }
  }

  /** One attempt: follows redirects hop by hop, checking each for walls and robots.txt. */
  private async followRedirects(
    req: FetchRequest,
    start: URL,
    proxy: string | null,
    signal: AbortSignal | undefined,
    trace: Trace,
  ): Promise<FinalHop> {
    let current = start;
    let method = req.method ?? "GET";
    let body = req.body;
    let headers = lowerCaseKeys(req.headers ?? {});
    for (let hop = 0; ; hop++) {
      const crawlDelayMs = await this.checkRobots(req.source, current, signal);
      const firstParty = current.host === start.host;
      const res = await this.send(req.source, current, proxy, signal, {
        method,
        body,
        headers,
        cookie: await this.cookies.header(req.source, req.account ?? "default", current, firstParty),
        crawlDelayMs,
      });
      await this.cookies.store(req.source, req.account ?? "default", current, res.setCookies);
      trace.status = res.status;
      const location = res.headers["location"];
      if (!REDIRECT_STATUSES.has(res.status) || !location) {
        const decoded = this.checkBlocked(req, current, res, proxy);
        return { url: current, res, decoded };
      }
      const next = parseLocation(location, current);
      const wall = wallRedirectReason(next);
      if (wall) throw this.blocked(req, current, res.status, wall, proxy);
      if (hop >= this.settings.maxRedirects) {
        throw new RedirectError(
          `${redactUrl(start.toString())} redirected more than ${this.settings.maxRedirects} times ` +
            `(last to ${redactUrl(next.toString())}); the chain was not followed further. This is usually ` +
            `a redirect loop (often a missing or expired cookie); if the chain is genuine, raise EARSHOT_MAX_REDIRECTS.`,
          { url: redactUrl(start.toString()), location: redactUrl(next.toString()) },
        );
      }
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
        headers = withoutKeys(headers, ["content-type", "content-length"]);
      }
      if (next.host !== start.host) headers = withoutKeys(headers, ["authorization", "cookie"]);
      current = next;
    }
  }

  /** One HTTP exchange holding a politeness slot on the host for its whole duration. */
  private async send(
    source: string,
    url: URL,
    proxy: string | null,
    signal: AbortSignal | undefined,
    opts: {
      method: "GET" | "POST";
      body?: string;
      headers: Record<string, string>;
      cookie?: string;
      crawlDelayMs: number | null;
      maxBytes?: number;
      truncate?: boolean;
    },
  ): Promise<HopResponse> {
    const slot = await this.politeness.acquire(url.host, this.limitsFor(source, opts.crawlDelayMs), signal);
    const deadline = AbortSignal.timeout(this.settings.totalTimeoutMs);
    const headers: Record<string, string> = {
      "user-agent": this.userAgent,
      accept: "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8",
      "accept-language": "zh-CN,zh;q=0.9,en;q=0.8",
      "accept-encoding": "gzip, deflate, br",
      ...opts.headers,
    };
    if (opts.cookie) headers["cookie"] = headers["cookie"] ? `${headers["cookie"]}; ${opts.cookie}` : opts.cookie;
    try {
      return await this.transport.send({
        url,
        method: opts.method,
        headers,
        ...(opts.body === undefined ? {} : { body: opts.body }),
        proxy,
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
        maxBytes: opts.maxBytes ?? this.settings.maxResponseBytes,
        truncate: opts.truncate ?? false,
      });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (deadline.aborted) {
        throw new AttemptFailure(
          `the request took longer than ${formatDuration(this.settings.totalTimeoutMs)} in all (EARSHOT_HTTP_TOTAL_TIMEOUT)`,
          { cause: err },
        );
      }
      throw this.classifyNetworkError(err, proxy);
    } finally {
      await slot.release();
    }
  }

  /** Network errors become AttemptFailure (retried); programming errors pass through. */
  private classifyNetworkError(err: unknown, proxy: string | null): Error {
    if (!(err instanceof Error)) return new AttemptFailure(String(err));
    const code = (err as { code?: string }).code ?? "";
    if (err.name === "ResponseTooLargeError" || /^(UND_ERR_INVALID_ARG|ERR_INVALID_)/.test(code)) return err;
    const via = proxy ? ` (via proxy ${redactProxy(proxy)})` : "";
    const t = formatDuration(this.settings.timeoutMs);
    const description =
      code === "UND_ERR_CONNECT_TIMEOUT"
        ? `connecting took longer than ${formatDuration(this.settings.connectTimeoutMs)} (EARSHOT_HTTP_CONNECT_TIMEOUT)`
        : code === "UND_ERR_HEADERS_TIMEOUT"
          ? `no response headers within ${t} (EARSHOT_HTTP_TIMEOUT)`
          : code === "UND_ERR_BODY_TIMEOUT"
            ? `the body stalled for more than ${t} (EARSHOT_HTTP_TIMEOUT)`
            : code === "ECONNREFUSED"
              ? "the connection was refused"
              : code === "ENOTFOUND" || code === "EAI_AGAIN"
                ? "the host name could not be resolved (DNS)"
                : code === "UND_ERR_SOCKET" ||
                    code === "ECONNRESET" ||
                    code === "UND_ERR_RES_CONTENT_LENGTH_MISMATCH" ||
                    code === "ERR_STREAM_PREMATURE_CLOSE" ||
                    code === "Z_BUF_ERROR"
                  ? "the connection closed before the response was complete"
                  : `${code || err.name}: ${err.message.replace(/\/\/[^\s/@]+@/g, "//***@")}`;
    return new AttemptFailure(description + via, { cause: err });
  }

  /**
   * Throws BlockedError for blocking statuses, challenge pages and the request's own hook.
   * Returns the decoded body when it had to decode it, so it is decoded only once.
   */
  private checkBlocked(req: FetchRequest, url: URL, res: HopResponse, proxy: string | null): DecodedBody | null {
    const statusReason = blockedStatusReason(res.status);
    if (statusReason) throw this.blocked(req, url, res.status, statusReason, proxy);
    const contentType = res.headers["content-type"];
    const looksLikePage = !contentType || /html/i.test(contentType);
    if (!looksLikePage && !req.detectBlock) return null;
    const decoded = decodeBody(res.body, contentType);
    const challenge = looksLikePage ? challengePageReason(decoded.text, contentType) : null;
    if (challenge) throw this.blocked(req, url, res.status, challenge, proxy);
    const hooked = req.detectBlock?.(this.buildResponse(url, res, decoded.text, decoded.charset, 0));
    if (hooked) throw this.blocked(req, url, res.status, hooked, proxy);
    return decoded;
  }

  private blocked(req: FetchRequest, url: URL, status: number, reason: string, proxy: string | null): BlockedError {
    const requestHost = new URL(req.url).host;
    const advice = formatBlockAdvice({
      source: req.source,
      host: requestHost,
      backoffMs: this.settings.blockBackoffMs,
      hasProxies: this.proxiesFor(req.source, url.hostname).some(Boolean),
    });
    const via = proxy ? ` via proxy ${redactProxy(proxy)}` : "";
    // The advice stays in details.advice: the crawl job appends it to the run's message.
    return new BlockedError(
      `${req.source} is blocked by ${url.host}${via}: ${reason}.`,
      { host: url.host, requestHost, status, reason, advice },
    );
  }

  private rateLimited(req: FetchRequest, url: URL, status: number, waitMs: number): RateLimitedError {
    return new RateLimitedError(
      `${url.host} asked ${req.source} to slow down (HTTP ${status}) and to wait ${formatDuration(Math.ceil(waitMs / 1000) * 1000)}, ` +
        `longer than earshot waits inside one request (EARSHOT_MAX_RETRY_WAIT=${formatDuration(this.settings.maxRetryWaitMs)}) ` +
        `or after its retries. Run the source again after that; if it keeps happening, space its requests out ` +
        `with EARSHOT_POLITENESS_${sourceEnvKey(req.source)}.`,
      waitMs,
    );
  }

  private exhausted(req: FetchRequest, url: URL, lastFailure: string, trace: Trace, cause?: unknown): TransientFetchError {
    const attempts = trace.retries + 1;
    return new TransientFetchError(
      `${req.method ?? "GET"} ${redactUrl(url.toString())} failed ${attempts} time${attempts === 1 ? "" : "s"} ` +
        `(last: ${lastFailure}). The site or the network is having trouble; the run can be retried later. ` +
        `If it persists, check that ${url.host} is up and reachable from this machine (and through the proxy, if one is set).`,
      { url: redactUrl(url.toString()), ...(trace.status === null ? {} : { status: trace.status }) },
      cause === undefined ? undefined : { cause },
    );
  }

  private buildResponse(url: URL, res: HopResponse, body: string, charset: string, retries: number): FetchResponse {
    return {
      url: url.toString(),
      status: res.status,
      headers: res.headers,
      body,
      charset,
      bytes: res.body.byteLength,
      ms: 0,
      retries,
    };
  }

  /** Returns the crawl-delay robots.txt asks for; throws when it forbids the URL. */
  private async checkRobots(source: string, url: URL, signal?: AbortSignal): Promise<number | null> {
    if (this.settings.robotsIgnore.includes(source)) return null;
    const verdict = await this.robots.check(url, source, signal);
    if (!verdict.allowed) {
      throw new RobotsDisallowedError(
        `${url.origin}/robots.txt forbids ${redactUrl(url.toString())} for earshot's User-Agent, so ${source} ` +
          `did not fetch it. If the site's owner has given permission, add "${source}" to ` +
          `EARSHOT_ROBOTS_IGNORE (comma-separated source ids).`,
        { url: redactUrl(url.toString()), source },
      );
    }
    return verdict.crawlDelayMs;
  }

  /** robots.txt through the same pools and politeness, without cookies or robots checks. */
  private async loadRobots(robotsUrl: URL, source: string, signal?: AbortSignal): Promise<RobotsFetchResult> {
    const proxies = this.proxiesFor(source, robotsUrl.hostname);
    const proxy = proxies[(this.proxyCursor.get(source) ?? 0) % proxies.length] ?? null;
    let current = robotsUrl;
    for (let hop = 0; hop <= ROBOTS_MAX_REDIRECTS; hop++) {
      let res: HopResponse;
      try {
        res = await this.send(source, current, proxy, signal, {
          method: "GET",
          headers: { accept: "text/plain,*/*;q=0.5" },
          crawlDelayMs: null,
          maxBytes: ROBOTS_MAX_BYTES,
          truncate: true,
        });
      } catch (err) {
        if (err instanceof AttemptFailure) return null;
        throw err;
      }
      const location = res.headers["location"];
      if (REDIRECT_STATUSES.has(res.status) && location) {
        try {
          current = new URL(location, current);
        } catch {
          return { status: 404, body: "" };
        }
        continue;
      }
      return { status: res.status, body: decodeBody(res.body, res.headers["content-type"]).text };
    }
    // RFC 9309 2.3.1.2: too many redirects means "unavailable", which allows everything.
    return { status: 404, body: "" };
  }

  private limitsFor(source: string, crawlDelayMs: number | null): PolitenessLimits {
    const limits =
      this.settings.politeness[sourceEnvKey(source)] ??
      this.options.politeness?.[source] ??
      this.options.defaultPoliteness ??
      DEFAULT_POLITENESS;
    return crawlDelayMs && crawlDelayMs > limits.minDelayMs ? { ...limits, minDelayMs: crawlDelayMs } : limits;
  }

  /** The source's proxies in rotation order; [null] means a direct connection. */
  private proxiesFor(source: string, hostname: string): (string | null)[] {
    const own = this.settings.proxies[sourceEnvKey(source)];
    if (own && own.length) return [...own];
    const { httpsProxy, noProxy } = this.settings;
    if (httpsProxy && !bypassesProxy(hostname, noProxy)) return [httpsProxy];
    return [null];
  }
}

function bypassesProxy(hostname: string, noProxy: readonly string[]): boolean {
  const host = hostname.toLowerCase();
  return noProxy.some((rule) => {
    if (rule === "*") return true;
    const bare = rule.replace(/^\*?\./, "");
    return host === bare || host.endsWith(`.${bare}`);
  });
}

function parseRequestUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (err) {
    throw new UsageError(`"${redactUrl(raw)}" is not a URL`, { cause: err });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${redactUrl(raw)}: only http:// and https:// URLs can be fetched`);
  }
  return url;
}

function parseLocation(location: string, base: URL): URL {
  let next: URL;
  try {
    next = new URL(location, base);
  } catch (err) {
    throw new RedirectError(`${redactUrl(base.toString())} redirected to an invalid URL; the redirect was not followed.`, {
      url: redactUrl(base.toString()),
    }, { cause: err });
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") {
    throw new RedirectError(
      `${redactUrl(base.toString())} redirected to a ${next.protocol} URL, which earshot does not follow.`,
      { url: redactUrl(base.toString()) },
    );
  }
  return next;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function withoutKeys(headers: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !names.includes(k)));
}
