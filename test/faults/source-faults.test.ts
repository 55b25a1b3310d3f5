import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCrawl, type CrawlJobResult } from "../../jobs/crawl.ts";
import { createWatchlist, upsertApp } from "../../src/db/repo/watchlists.ts";
import { BlockedError, NonRetryableError, ParseError, RateLimitedError } from "../../src/errors.ts";
import type { SandboxFault } from "../../src/sandbox/server.ts";
import { taptapReviews } from "../../src/sandbox/taptap.ts";
import { createCrawlTestEnv, type CrawlTestEnv, endBlocks } from "../helpers/crawl.ts";

/**
 * One crawl of three sources (App Store, Google Play, TapTap) for the same watchlist, with a fault
 * injected into exactly one of them. The faulty run must end with a clear status and message and
 * back off; the other two must store their new reviews as if nothing happened; and once the fault
 * clears, the faulty source collects what it missed, once.
 */

const SOURCES = ["appstore", "googleplay", "taptap"] as const;
type Source = (typeof SOURCES)[number];
const FEEDS: Record<Source, string> = {
  appstore: "appstore:1500000001:cn",
  googleplay: "googleplay:com.example.meownote:en-us",
  taptap: "taptap:210001:cn",
};
const PATHS: Record<Source, string> = { appstore: "/rss/customerreviews/", googleplay: "batchexecute", taptap: "/review/v2/" };

let env: CrawlTestEnv;
let watchlistId: number;
let job = 0;

interface Outcome {
  result: CrawlJobResult | null;
  error: unknown;
  status: string;
  message: string;
}

async function crawl(source: Source): Promise<Outcome> {
  let result: CrawlJobResult | null = null;
  let error: unknown = null;
  try {
    result = await runCrawl(env.deps, { id: `faults-${++job}`, data: { watchlistId, source }, attemptsMade: 0 });
  } catch (err) {
    error = err;
  }
  const [run] = await env.database.sql`select status, error from crawl_runs where source = ${source} order by id desc limit 1`;
  return { result, error, status: run!.status as string, message: String(result?.message ?? run!.error ?? "") };
}

/** Every source at once, as the queue would run them. */
async function crawlAll(): Promise<Record<Source, Outcome>> {
  const outcomes = await Promise.all(SOURCES.map((s) => crawl(s)));
  return Object.fromEntries(SOURCES.map((s, i) => [s, outcomes[i]!])) as Record<Source, Outcome>;
}

const stored = async (source: Source) => Number((await env.database.sql`select count(*)::int as n from mentions where source = ${source}`)[0]!.n);
const requestsTo = (source: Source) => env.sandbox.requests.filter((r) => decodeURIComponent(r.path).includes(PATHS[source])).length;
const unblock = () => endBlocks(env.database.sql);

beforeAll(async () => {
  env = await createCrawlTestEnv({
    EARSHOT_POLITENESS_GOOGLEPLAY: "4/0",
    EARSHOT_POLITENESS_TAPTAP: "4/0",
    EARSHOT_BLOCK_BACKOFF: "1h",
  });
  const app = await upsertApp(env.database.db, {
    name: "喵记",
    aliases: ["MeowNote"],
    appstoreId: "1500000001",
    appstoreCountries: ["cn"],
    playPackage: "com.example.meownote",
    playLangs: ["en-us"],
    taptapId: "210001",
    taptapRegion: "cn",
  });
  watchlistId = (await createWatchlist(env.database.db, { appId: app.id, keywords: [], sources: [...SOURCES], intervalSec: 900, by: "test" })).id;
  const first = await crawlAll();
  for (const s of SOURCES) expect(first[s].status, s).toBe("ok");
});
afterAll(() => env.teardown());
beforeEach(() => {
  env.sandbox.clearFaults();
  env.sandbox.requests.length = 0;
});

interface Case {
  /** What is injected. */
  name: string;
  source: Source;
  fault: Omit<SandboxFault, "match">;
  /** The run row's status and message. */
  status: string;
  message: RegExp;
  /**
   * How the source backs off: paused in Postgres, a Retry-After for the queue, a job retried with
   * backoff, or a job failed for good (retrying the same answer cannot help; the next scheduled run tries again).
   */
  backoff: "paused" | "retry-after" | "job-retry" | "no-retry";
}

const cases: Case[] = [
  { name: "HTTP 418", source: "appstore", fault: { status: 418, body: "I'm a teapot" }, status: "blocked", message: /418/, backoff: "paused" },
  {
    name: "a captcha page served with 200",
    source: "taptap",
    fault: { body: '<html><head><title>安全验证</title></head><body><div id="captcha">请完成下方验证后继续</div></body></html>', headers: { "content-type": "text/html; charset=utf-8" } },
    status: "blocked",
    message: /captcha/,
    backoff: "paused",
  },
  {
    name: "a redirect to a login page",
    source: "googleplay",
    fault: { status: 302, headers: { location: "/login?continue=%2Fstore%2Fapps" } },
    status: "blocked",
    message: /login/,
    backoff: "paused",
  },
  { name: "a truncated body", source: "taptap", fault: { truncate: true }, status: "failed", message: /failed 2 times/, backoff: "job-retry" },
  { name: "a 50 MB body", source: "googleplay", fault: { bodyBytes: 50 * 1024 * 1024 }, status: "failed", message: /over the \d+-byte limit.*EARSHOT_MAX_RESPONSE_BYTES/, backoff: "no-retry" },
  // Last: a long Retry-After holds back the whole (shared sandbox) host for the rest of the file.
  { name: "429 with a Retry-After of 120 s", source: "appstore", fault: { status: 429, headers: { "Retry-After": "120" } }, status: "rate_limited", message: /120|2m/, backoff: "retry-after" },
];

describe("a faulty source in a crawl of several", () => {
  // Injects: a UTF-8 answer whose Content-Type says GBK. Asserts: the run succeeds and the Chinese text is stored as the site wrote it, not as mojibake.
  it("a UTF-8 body declared as GBK on taptap: the reviews are stored with their text intact", async () => {
    env.sandbox.grow(FEEDS.taptap, 2);
    env.sandbox.fail({ match: PATHS.taptap, headers: { "content-type": "application/json; charset=gbk" } });
    const r = await crawl("taptap");
    expect([r.status, r.result?.new]).toEqual(["ok", 2]);
    const newest = taptapReviews(env.sandbox.state, "210001", "cn")[0]!;
    const [row] = await env.database.sql`select text from mentions where source = 'taptap' and external_id = ${`cn:${newest.reviewId}`}`;
    expect(row!.text.replace(/\s+/g, "")).toBe(newest.text.replace(/\s+/g, ""));
  });

  for (const c of cases) {
    // Injects: the fault on one source's feed. Asserts: that run's status and message, its backoff, the other sources' new reviews, and a clean retry that gets the missed reviews once.
    it(`${c.name} on ${c.source}: the run ends as ${c.status} with a message, the source backs off, the others carry on`, async () => {
      const before = Object.fromEntries(await Promise.all(SOURCES.map(async (s) => [s, await stored(s)] as const))) as Record<Source, number>;
      for (const s of SOURCES) env.sandbox.grow(FEEDS[s], 2);
      env.sandbox.fail({ match: PATHS[c.source], ...c.fault });

      const outcomes = await crawlAll();
      const faulty = outcomes[c.source];
      expect(faulty.status).toBe(c.status);
      expect(faulty.message).toMatch(c.message);
      for (const s of SOURCES.filter((x) => x !== c.source)) {
        expect([outcomes[s].status, outcomes[s].result?.new], s).toEqual(["ok", 2]);
        expect(await stored(s), s).toBe(before[s] + 2);
      }
      expect(await stored(c.source)).toBe(before[c.source]);

      if (c.backoff === "paused") {
        const [health] = await env.database.sql`select state, blocked_until from source_health where source = ${c.source}`;
        expect(health!.state).toBe("blocked");
        expect(new Date(health!.blocked_until).getTime()).toBeGreaterThan(Date.now() + 3500_000);
        env.sandbox.clearFaults();
        const seenBefore = requestsTo(c.source);
        const paused = await crawl(c.source);
        expect(paused.status).toBe("blocked");
        expect(paused.message).toMatch(/paused .* until/);
        expect(requestsTo(c.source)).toBe(seenBefore);
        await unblock();
      } else if (c.backoff === "retry-after") {
        // The worker delays the job by this long without counting a failed attempt.
        expect(faulty.error).toBeInstanceOf(RateLimitedError);
        expect((faulty.error as RateLimitedError).retryAfterMs).toBe(120_000);
        return; // the host stays deferred for 120 s: its clean retry belongs to the queue
      } else if (c.backoff === "no-retry") {
        // The worker fails the job without retries (UnrecoverableError).
        expect(faulty.error).toBeInstanceOf(NonRetryableError);
      } else {
        // Transient: thrown as-is, so BullMQ retries the job with exponential backoff.
        expect(faulty.error).toBeInstanceOf(Error);
        for (const kind of [BlockedError, RateLimitedError, NonRetryableError, ParseError]) expect(faulty.error).not.toBeInstanceOf(kind);
      }

      env.sandbox.clearFaults();
      const retry = await crawl(c.source);
      expect([retry.status, retry.result?.new]).toEqual(["ok", 2]);
      expect(await stored(c.source)).toBe(before[c.source] + 2);
      const [{ n }] = (await env.database.sql`select count(*)::int as n from (select 1 from mentions group by source, external_id having count(*) > 1) d`) as unknown as [{ n: number }];
      expect(n).toBe(0);
    });
  }

});
