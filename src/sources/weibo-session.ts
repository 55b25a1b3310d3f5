/**
 * Which cookies Weibo requests carry, and what to do when Weibo stops accepting them.
 *
 * Admin-supplied cookies (EARSHOT_COOKIE_WEIBO, EARSHOT_COOKIE_WEIBO_<ACCOUNT>) are logged-in
 * accounts: the fetcher sends them per account, and a refused account gives way to the next.
 * Without any, earshot gets visitor cookies the way a phone's browser does: it opens m.weibo.cn in
 * Chromium, which is sent through the visitor system (passport.weibo.com/visitor, script-only)
 * and comes back with SUB/SUBP. That browser visit is shared by every caller in the process
 * (one at a time), cached, and not repeated within a cooldown: fresh visitor cookies refused
 * again mean the IP itself is refused, and hammering the visitor system makes it worse.
 */
import type { Cookie } from "playwright-core";
import { BlockedError, errorMessage } from "../errors.ts";
import { sharedBrowser, type BrowserPool } from "../fetch/browser.ts";
import { formatDuration } from "../fetch/block.ts";
import type { CrawlContext } from "./types.ts";

/** How long visitor cookies are used before they are fetched again anyway. */
export const VISITOR_MAX_AGE_MS = 6 * 3600_000;
/** No second browser visit within this long of the last one. */
export const VISITOR_COOLDOWN_MS = 2 * 60_000;

/** What one request sends: an account of the fetcher's cookie jars, plus a Cookie header for visitor cookies. */
export interface WeiboCredentials {
  account: string;
  cookie?: string;
  /** "account" for an admin cookie, "visitor" for browser-made cookies, "none" before either. */
  kind: "account" | "visitor" | "none";
}

interface VisitorCookies {
  header: string;
  at: number;
  generation: number;
}

/** Per-process state: the cached visitor cookies and the account in use. */
export class WeiboSession {
  private visitor: VisitorCookies | null = null;
  private inflight: Promise<VisitorCookies> | null = null;
  private lastVisitAt = 0;
  private generation = 0;
  private accountIndex = 0;
  /** Browser visits made (for tests and logs). */
  visits = 0;

  private readonly browser: (ctx: CrawlContext) => BrowserPool;
  private readonly cooldownMs: number;

  /**
   * @param options.browser The browser pool for visitor cookies. @default the process's shared pool
   * @param options.cooldownMs No second browser visit within this long. @default VISITOR_COOLDOWN_MS
   */
  constructor(options: { browser?: (ctx: CrawlContext) => BrowserPool; cooldownMs?: number } = {}) {
    this.browser = options.browser ?? ((ctx) => sharedBrowser(ctx.config));
    this.cooldownMs = options.cooldownMs ?? VISITOR_COOLDOWN_MS;
  }

  /** Admin accounts with a cookie, in rotation order. */
  accounts(ctx: CrawlContext): string[] {
    return ctx.config.fetch.cookieAccounts("weibo");
  }

  /** The credentials for the next request. */
  current(ctx: CrawlContext): WeiboCredentials {
    const accounts = this.accounts(ctx);
    if (accounts.length) return { account: accounts[this.accountIndex % accounts.length]!, kind: "account" };
    if (this.visitor && Date.now() - this.visitor.at < VISITOR_MAX_AGE_MS) {
      return { account: `visitor-${this.visitor.generation}`, cookie: this.visitor.header, kind: "visitor" };
    }
    return { account: "visitor-0", kind: "none" };
  }

  /**
   * Replaces credentials Weibo refused (`used`): the next admin account, or new visitor cookies.
   * `triedAccounts` counts accounts this request already went through. Throws BlockedError, with
   * what the admin can do, when nothing is left to try.
   */
  async renew(ctx: CrawlContext, used: WeiboCredentials, reason: string, triedAccounts: number): Promise<WeiboCredentials> {
    const accounts = this.accounts(ctx);
    if (accounts.length) {
      if (triedAccounts >= accounts.length) {
        throw blocked(
          `Weibo refused every configured account (${accounts.join(", ")}): ${reason}.`,
          `Log in to weibo.com again in a browser and copy the new Cookie header into ` +
            `${accounts.map(cookieVar).join(" / ")}; add more accounts as EARSHOT_COOKIE_WEIBO_<NAME> to rotate; ` +
            `or remove them all to fall back to visitor cookies.`,
          reason,
        );
      }
      // Another request may have rotated already: only move on from the account that failed.
      if (accounts[this.accountIndex % accounts.length] === used.account) this.accountIndex++;
      return this.current(ctx);
    }
    // Another request renewed them meanwhile: use those instead of visiting again.
    if (this.inflight) {
      await this.inflight.catch(() => null);
      if (this.visitor && this.visitor.header !== used.cookie) return this.current(ctx);
    }
    if (this.visitor && this.visitor.header !== used.cookie && Date.now() - this.visitor.at < VISITOR_MAX_AGE_MS) {
      return this.current(ctx);
    }
    const pool = this.browser(ctx);
    if (!pool.available) {
      throw blocked(
        `Weibo refused requests without cookies (${reason}) and earshot cannot get visitor cookies: ${pool.unavailableReason()}.`,
        "Install Chromium (apt-get install -y chromium) or set EARSHOT_CHROMIUM_PATH, or supply a logged-in cookie in EARSHOT_COOKIE_WEIBO.",
        reason,
      );
    }
    if (Date.now() - this.lastVisitAt < this.cooldownMs) {
      throw blocked(
        `Weibo refused visitor cookies fetched ${formatDuration(Math.round((Date.now() - this.lastVisitAt) / 1000) * 1000 || 1000)} ago (${reason}): this address is being refused.`,
        "Wait for the pause to end, slow Weibo down with EARSHOT_POLITENESS_WEIBO=1/10000, supply a logged-in cookie in EARSHOT_COOKIE_WEIBO, or use a proxy (EARSHOT_PROXIES_WEIBO).",
        reason,
      );
    }
    try {
      await this.fetchVisitorCookies(ctx, pool);
    } catch (err) {
      if (err instanceof BlockedError) throw err;
      throw blocked(
        `Weibo refused requests (${reason}) and getting visitor cookies in the browser failed: ${errorMessage(err)}.`,
        "Supply a logged-in cookie in EARSHOT_COOKIE_WEIBO, or check that m.weibo.cn opens from this machine.",
        reason,
      );
    }
    return this.current(ctx);
  }

  /** Opens m.weibo.cn in the browser once for all callers; they share the answer. */
  private fetchVisitorCookies(ctx: CrawlContext, pool: BrowserPool): Promise<VisitorCookies> {
    this.inflight ??= this.visit(ctx, pool).finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async visit(ctx: CrawlContext, pool: BrowserPool): Promise<VisitorCookies> {
    const base = ctx.config.sourceUrls.weibo;
    const started = performance.now();
    this.lastVisitAt = Date.now();
    this.visits++;
    let status: number | null = null;
    try {
      const cookies = await pool.withPage(
        async (page, context) => {
          const res = await page.goto(`${base}/`, { waitUntil: "domcontentloaded" });
          status = res?.status() ?? null;
          // The visitor page runs its script, gets SUB/SUBP and goes back to m.weibo.cn.
          const deadline = Date.now() + ctx.config.browser.timeoutMs;
          let found: Cookie[] = [];
          while (Date.now() < deadline) {
            found = await context.cookies(base);
            if (found.some((c) => c.name === "SUB") && !/\/visitor\//.test(page.url())) break;
            await page.waitForTimeout(100);
          }
          return found;
        },
        // Documents and the visitor system's scripts and calls; nothing else.
        { mobile: true, block: ["image", "font", "media", "stylesheet", "websocket", "manifest", "other"] },
      );
      const sub = cookies.find((c) => c.name === "SUB");
      if (!sub) throw new Error(`m.weibo.cn gave no SUB cookie within ${formatDuration(ctx.config.browser.timeoutMs)}`);
      const header = cookies
        .filter((c) => ["SUB", "SUBP", "_T_WM", "XSRF-TOKEN", "MLOGIN", "WEIBOCN_FROM", "M_WEIBOCN_PARAMS"].includes(c.name))
        .map((c) => `${c.name}=${c.value}`)
        .join("; ");
      this.visitor = { header, at: Date.now(), generation: ++this.generation };
      ctx.log({ method: "GET", url: `${base}/ (browser: visitor cookies)`, status, bytes: null, ms: Math.round(performance.now() - started), retries: 0, error: null });
      return this.visitor;
    } catch (err) {
      ctx.log({ method: "GET", url: `${base}/ (browser: visitor cookies)`, status, bytes: null, ms: Math.round(performance.now() - started), retries: 0, error: errorMessage(err) });
      throw err;
    }
  }
}

function cookieVar(account: string): string {
  return account === "default" ? "EARSHOT_COOKIE_WEIBO" : `EARSHOT_COOKIE_WEIBO_${account.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

function blocked(message: string, advice: string, reason: string): BlockedError {
  return new BlockedError(message, { host: "m.weibo.cn", reason, advice });
}

let shared: WeiboSession | null = null;

/** The process's Weibo session. */
export function weiboSession(): WeiboSession {
  shared ??= new WeiboSession();
  return shared;
}

/** Forgets cached cookies, cooldown and rotation (tests; an admin changing cookies restarts the worker). */
export function resetWeiboSession(session?: WeiboSession): void {
  shared = session ?? null;
}
