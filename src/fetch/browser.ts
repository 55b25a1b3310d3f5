/**
 * A headless Chromium for the pages that only show their content after JavaScript ran (a forum
 * that renders its search results client-side, Weibo's visitor-cookie page). One browser per
 * process, started on first use; each page gets a fresh context (own cookies, own cache) that is
 * closed right after, and at most `contexts` of them are open at once. Images, fonts and media
 * are never downloaded. A browser that crashed or was killed is started again on the next call.
 *
 * playwright-core drives Debian's `chromium` package (no bundled browser download).
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import type { Config } from "../config.ts";
import { NonRetryableError, TransientFetchError } from "../errors.ts";
import { redactUrl } from "./redact.ts";

/** Chromium is not installed, or EARSHOT_CHROMIUM_PATH points nowhere. */
export class BrowserUnavailableError extends NonRetryableError {
  override name = "BrowserUnavailableError";
}

export interface BrowserPoolOptions {
  /** The Chromium binary. @default found with findChromium() */
  chromiumPath?: string | null;
  /** Pages rendered at once. @default 2 */
  contexts?: number;
  /** Navigation and wait timeout per page. @default 30000 */
  timeoutMs?: number;
  /** The browser is closed after this long without a page. @default 30000 */
  idleMs?: number;
}

export interface PageOptions {
  /** @default a desktop Chrome User-Agent */
  userAgent?: string;
  /** Cookies set in the context before the first navigation (name, value, domain, path at least). */
  cookies?: Parameters<BrowserContext["addCookies"]>[0];
  /** Playwright resource types never fetched. @default image, font, media */
  block?: readonly string[];
  /** Emulate a phone (small viewport, touch), for mobile sites. @default false */
  mobile?: boolean;
}

export interface RenderOptions extends PageOptions {
  /** Waits until this CSS selector matches (the results are on the page). */
  waitFor?: string;
  /** Also accept the page when this selector matches instead ("no results" markers). */
  orWaitFor?: string;
}

export interface RenderedPage {
  /** The final URL, after redirects and script navigations. */
  url: string;
  status: number | null;
  html: string;
  ms: number;
}

const DEBIAN_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium", "/snap/bin/chromium"];
const LAUNCH_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-dev-shm-usage",
];
const DEFAULT_BLOCK = ["image", "font", "media"];
const DESKTOP_UA =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
const MOBILE_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

/** The Chromium binary: the configured path if executable, else `chromium` on the PATH or a Debian path; null when none. */
export function findChromium(configured?: string | null, env: NodeJS.ProcessEnv = process.env): string | null {
  if (configured) return isExecutable(configured) ? configured : null;
  const onPath = (env.PATH ?? "")
    .split(delimiter)
    .filter(Boolean)
    .flatMap((dir) => ["chromium", "chromium-browser"].map((name) => join(dir, name)));
  return [...onPath, ...DEBIAN_PATHS].find(isExecutable) ?? null;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A counting semaphore: at most `size` holders. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(size: number) {
    this.free = size;
  }
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
  get busy(): boolean {
    return this.waiting.length > 0;
  }
}

export class BrowserPool {
  readonly executablePath: string | null;
  private readonly timeoutMs: number;
  private readonly idleMs: number;
  private readonly slots: Slots;
  private launching: Promise<Browser> | null = null;
  private active = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Browsers started so far (a restart after a crash counts again). */
  launches = 0;

  constructor(private readonly options: BrowserPoolOptions = {}) {
    this.executablePath = options.chromiumPath === undefined ? findChromium() : findChromium(options.chromiumPath);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.idleMs = options.idleMs ?? 30_000;
    this.slots = new Slots(options.contexts ?? 2);
  }

  /** Whether a Chromium binary was found. */
  get available(): boolean {
    return this.executablePath !== null;
  }

  /** Why the browser cannot be used, for messages: names the fix. */
  unavailableReason(): string {
    return this.options.chromiumPath
      ? `EARSHOT_CHROMIUM_PATH=${this.options.chromiumPath} is not an executable Chromium`
      : "Chromium is not installed (install the Debian package: apt-get install -y chromium, or set EARSHOT_CHROMIUM_PATH)";
  }

  /** Runs `fn` with a page in a fresh context, closed afterwards whatever happens. */
  async withPage<T>(fn: (page: Page, context: BrowserContext) => Promise<T>, options: PageOptions = {}): Promise<T> {
    if (this.closed) throw new BrowserUnavailableError("the browser pool is closed");
    const release = await this.slots.acquire();
    this.active++;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    let context: BrowserContext | null = null;
    try {
      const browser = await this.browser();
      context = await browser.newContext({
        userAgent: options.userAgent ?? (options.mobile ? MOBILE_UA : DESKTOP_UA),
        locale: "zh-CN",
        timezoneId: "Asia/Shanghai",
        ...(options.mobile ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : {}),
      });
      context.setDefaultTimeout(this.timeoutMs);
      context.setDefaultNavigationTimeout(this.timeoutMs);
      const blocked = new Set(options.block ?? DEFAULT_BLOCK);
      if (blocked.size) {
        await context.route("**/*", (route) =>
          blocked.has(route.request().resourceType()) ? route.abort() : route.continue(),
        );
      }
      if (options.cookies?.length) await context.addCookies(options.cookies);
      const page = await context.newPage();
      return await fn(page, context);
    } finally {
      await context?.close().catch(() => {});
      this.active--;
      release();
      this.scheduleIdleClose();
    }
  }

  /**
   * Opens `url` and returns the HTML once `waitFor` matches (or the load event fired). Throws
   * TransientFetchError on a navigation failure or timeout, naming the page.
   */
  async render(url: string, options: RenderOptions = {}): Promise<RenderedPage> {
    const started = performance.now();
    return this.withPage(async (page) => {
      let status: number | null = null;
      try {
        const res = await page.goto(url, { waitUntil: "domcontentloaded" });
        status = res?.status() ?? null;
        const selector = [options.waitFor, options.orWaitFor].filter(Boolean).join(", ");
        if (selector) await page.waitForSelector(selector, { state: "attached" });
        else await page.waitForLoadState("load");
      } catch (err) {
        throw new TransientFetchError(
          `the browser could not render ${redactUrl(url)}` +
            (options.waitFor ? ` (waited for "${options.waitFor}")` : "") +
            `: ${firstLine(err)}`,
          { url: redactUrl(url), ...(status === null ? {} : { status }) },
          { cause: err },
        );
      }
      return { url: page.url(), status, html: await page.content(), ms: Math.round(performance.now() - started) };
    }, options);
  }

  /** Closes the browser; the pool cannot be used afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    await this.shutBrowser();
  }

  private async browser(): Promise<Browser> {
    if (!this.executablePath) throw new BrowserUnavailableError(this.unavailableReason());
    if (this.launching) {
      const current = await this.launching.catch(() => null);
      if (current?.isConnected()) return current;
    }
    // Single flight: concurrent callers share one launch.
    const launching = chromium
      .launch({ executablePath: this.executablePath, headless: true, args: LAUNCH_ARGS, timeout: Math.max(this.timeoutMs, 30_000) })
      .then((b) => {
        this.launches++;
        // A crashed or killed browser is forgotten; the next page starts a new one.
        b.on("disconnected", () => {
          if (this.launching === launching) this.launching = null;
        });
        return b;
      });
    this.launching = launching;
    try {
      return await launching;
    } catch (err) {
      if (this.launching === launching) this.launching = null;
      throw new BrowserUnavailableError(`Chromium at ${this.executablePath} did not start: ${firstLine(err)}`, { cause: err });
    }
  }

  private scheduleIdleClose(): void {
    if (this.active > 0 || this.slots.busy || this.closed || !this.launching) return;
    this.idleTimer = setTimeout(() => void this.shutBrowser(), this.idleMs);
    this.idleTimer.unref();
  }

  private async shutBrowser(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const launching = this.launching;
    this.launching = null;
    const browser = await launching?.catch(() => null);
    await browser?.close().catch(() => {});
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0]!;
}

let shared: BrowserPool | null = null;

/** The process's browser pool, made from the config on first use. */
export function sharedBrowser(config: Pick<Readonly<Config>, "browser">): BrowserPool {
  shared ??= new BrowserPool({
    chromiumPath: config.browser.chromiumPath,
    contexts: config.browser.contexts,
    timeoutMs: config.browser.timeoutMs,
  });
  return shared;
}

/** Closes the process's browser (at shutdown, or at the end of a CLI command). */
export async function closeSharedBrowser(): Promise<void> {
  const pool = shared;
  shared = null;
  await pool?.close();
}
