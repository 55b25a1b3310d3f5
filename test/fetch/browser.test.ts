import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TransientFetchError } from "../../src/errors.ts";
import { BrowserPool, BrowserUnavailableError, findChromium } from "../../src/fetch/browser.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";

const chromium = findChromium();

describe("without Chromium", () => {
  it("says so, naming the setting, and refuses pages", async () => {
    const pool = new BrowserPool({ chromiumPath: "/nonexistent/chromium" });
    expect(pool.available).toBe(false);
    expect(pool.unavailableReason()).toMatch(/EARSHOT_CHROMIUM_PATH/);
    await expect(pool.render("http://127.0.0.1:1/")).rejects.toBeInstanceOf(BrowserUnavailableError);
  });
});

describe.runIf(chromium)("the browser pool", () => {
  let sandbox: Sandbox;
  let pool: BrowserPool;
  beforeAll(async () => {
    sandbox = await startSandbox();
    pool = new BrowserPool({ contexts: 1, timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await pool.close();
    await sandbox.close();
  });

  it("renders a page whose results only exist after its script ran", async () => {
    const url = `${sandbox.url}/forum-js/search?q=${encodeURIComponent("快跑 闪退")}`;
    const plain = await (await fetch(url)).text();
    expect(plain).not.toMatch(/class="post-card"/);
    const page = await pool.render(url, { waitFor: "article.post-card" });
    expect(page.html.match(/class="post-card"/g)?.length).toBeGreaterThan(0);
    expect(page.status).toBe(200);
  });

  it("never downloads images, fonts or media", async () => {
    sandbox.requests.length = 0;
    await pool.render(`${sandbox.url}/forum-js/search?q=${encodeURIComponent("快跑 卡顿")}`, { waitFor: "article.post-card" });
    const paths = sandbox.requests.map((r) => r.path);
    expect(paths.some((p) => p.startsWith("/forum-js/api/search"))).toBe(true);
    expect(paths.filter((p) => p.includes("banner.png") || p.includes("brand.woff2"))).toEqual([]);
  });

  it("runs at most its number of contexts at once and closes each after use", async () => {
    let open = 0;
    let most = 0;
    const contexts: { newPage(): Promise<unknown> }[] = [];
    await Promise.all(
      [1, 2, 3].map(() =>
        pool.withPage(async (page, context) => {
          contexts.push(context);
          most = Math.max(most, ++open);
          await page.goto(`${sandbox.url}/forum/search.php?keyword=x`);
          open--;
        }),
      ),
    );
    expect(most).toBe(1);
    for (const c of contexts) await expect(c.newPage()).rejects.toThrow();
  });

  it("names the page when navigation times out", async () => {
    const quick = new BrowserPool({ timeoutMs: 500 });
    sandbox.fail({ match: "/forum/search.php?keyword=slow", delayMs: 2000 });
    try {
      const err = await quick.render(`${sandbox.url}/forum/search.php?keyword=slow`, { waitFor: "li" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientFetchError);
      expect((err as Error).message).toMatch(/keyword=slow/);
    } finally {
      sandbox.clearFaults();
      await quick.close();
    }
  });

  it("starts a new browser after the old one crashed", async () => {
    await pool.render(`${sandbox.url}/forum/search.php?keyword=x`);
    const before = pool.launches;
    // Kill every Chromium this process started, as an out-of-memory kill would.
    const children = execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" })
      .split("\n")
      .filter((l) => /chrom/i.test(l))
      .map((l) => Number(l.trim().split(/\s+/)[0]));
    expect(children.length).toBeGreaterThan(0);
    for (const pid of children) process.kill(pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 300));
    const page = await pool.render(`${sandbox.url}/forum/search.php?keyword=${encodeURIComponent("喵记 闪退")}`, { waitFor: "li.result-item" });
    expect(page.html).toContain("result-item");
    expect(pool.launches).toBe(before + 1);
  });
});
