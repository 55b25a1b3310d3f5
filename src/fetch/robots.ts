/**
 * robots.txt, read the way RFC 9309 says: fetched once per origin and cached for 24 hours
 * (in Redis, so all workers share one copy, and in memory for speed); a 4xx answer (no
 * robots.txt) allows everything; a 5xx answer or no answer at all means "crawl nothing for
 * now", which earshot reports as a transient failure and asks again a minute later.
 */
import type { Redis } from "ioredis";
import robotsParserModule from "robots-parser";
import { TransientFetchError } from "../errors.ts";

/** The parts of robots-parser we use (its typings describe an ESM default it does not have). */
interface ParsedRobots {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getCrawlDelay(ua?: string): number | undefined;
}
const robotsParser = ((robotsParserModule as { default?: unknown }).default ?? robotsParserModule) as (
  url: string,
  body: string,
) => ParsedRobots;

/** RFC 9309 2.4: a cached robots.txt should not be used for more than 24 hours. */
const RULES_TTL_MS = 24 * 3600_000;
/** How long an unreachable robots.txt is remembered before asking again. */
const UNREACHABLE_TTL_MS = 60_000;
/** RFC 9309 2.5: parse at least the first 500 KiB. */
export const ROBOTS_MAX_BYTES = 500 * 1024;

/** What fetching robots.txt gave: an HTTP answer, or null when the site could not be reached. */
export type RobotsFetchResult = { status: number; body: string } | null;

/**
 * Loads `${origin}/robots.txt` on behalf of a source (whose politeness applies), following
 * redirects; the fetcher supplies this.
 */
export type RobotsLoader = (robotsUrl: URL, source: string, signal?: AbortSignal) => Promise<RobotsFetchResult>;

type Cached =
  | { kind: "rules"; body: string }
  | { kind: "allow-all"; status: number }
  | { kind: "unreachable"; status: number | null };

interface Rules {
  cached: Cached;
  robot: ParsedRobots | null;
  expiresAt: number;
}

export interface RobotsVerdict {
  allowed: boolean;
  /** Crawl-delay for our User-Agent, if the site sets one. */
  crawlDelayMs: number | null;
}

export class RobotsCache {
  private readonly memory = new Map<string, Rules>();
  private readonly loading = new Map<string, Promise<Rules>>();

  /**
   * @param redis Shared cache; keys are `${prefix}:fetch:robots:<origin>`.
   * @param userAgent Matched against robots.txt groups by its product token ("earshot").
   */
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly userAgent: string,
    private readonly load: RobotsLoader,
  ) {}

  /**
   * Whether robots.txt lets us fetch `url`. Throws TransientFetchError when robots.txt is
   * unreachable (5xx or network failure), since then nothing may be crawled.
   */
  async check(url: URL, source: string, signal?: AbortSignal): Promise<RobotsVerdict> {
    const rules = await this.rulesFor(url.origin, source, signal);
    const { cached } = rules;
    if (cached.kind === "unreachable") {
      const answer = cached.status === null ? "could not be reached" : `answered HTTP ${cached.status}`;
      throw new TransientFetchError(
        `${url.origin}/robots.txt ${answer}; earshot does not crawl a site whose robots.txt is ` +
          `unavailable (RFC 9309) and will ask again shortly. If it stays down, check the site.`,
        { url: `${url.origin}/robots.txt`, ...(cached.status === null ? {} : { status: cached.status }) },
      );
    }
    if (cached.kind === "allow-all" || !rules.robot) return { allowed: true, crawlDelayMs: null };
    const allowed = rules.robot.isAllowed(url.toString(), this.userAgent) ?? true;
    const delay = rules.robot.getCrawlDelay(this.userAgent);
    return { allowed, crawlDelayMs: typeof delay === "number" && delay > 0 ? Math.round(delay * 1000) : null };
  }

  private async rulesFor(origin: string, source: string, signal?: AbortSignal): Promise<Rules> {
    const known = this.memory.get(origin);
    if (known && known.expiresAt > Date.now()) return known;
    let pending = this.loading.get(origin);
    if (!pending) {
      pending = this.refresh(origin, source, signal).finally(() => this.loading.delete(origin));
      this.loading.set(origin, pending);
    }
    return pending;
  }

  private async refresh(origin: string, source: string, signal?: AbortSignal): Promise<Rules> {
    const key = `${this.prefix}:fetch:robots:${origin}`;
    const [stored, ttl] = await this.redis.multi().get(key).pttl(key).exec().then((r) => [r?.[0]?.[1], r?.[1]?.[1]]);
    let cached: Cached;
    let lifetime: number;
    if (typeof stored === "string" && typeof ttl === "number" && ttl > 0) {
      cached = JSON.parse(stored) as Cached;
      lifetime = ttl;
    } else {
      cached = toCached(await this.load(new URL("/robots.txt", origin), source, signal));
      lifetime = cached.kind === "unreachable" ? UNREACHABLE_TTL_MS : RULES_TTL_MS;
      await this.redis.set(key, JSON.stringify(cached), "PX", lifetime);
    }
    const rules: Rules = {
      cached,
      robot: cached.kind === "rules" ? robotsParser(`${origin}/robots.txt`, cached.body) : null,
      expiresAt: Date.now() + lifetime,
    };
    this.memory.set(origin, rules);
    return rules;
  }
}

function toCached(result: RobotsFetchResult): Cached {
  if (!result) return { kind: "unreachable", status: null };
  if (result.status >= 200 && result.status < 300) return { kind: "rules", body: result.body };
  if (result.status >= 500) return { kind: "unreachable", status: result.status };
  // 4xx (and anything else without rules): RFC 9309 2.3.1.3 allows everything.
  return { kind: "allow-all", status: result.status };
}
