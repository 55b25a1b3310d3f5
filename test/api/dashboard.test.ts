import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createAlertStage } from "../../src/alerts/outbox.ts";
import { createApiTestEnv, type ApiTestEnv } from "./support.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = join(import.meta.dirname, "../../test-artifacts/dashboard");

let env: ApiTestEnv;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  env = await createApiTestEnv({ alertStage: createAlertStage() });
  await env.call("POST", "/api/apps", { body: { name: "喵记", aliases: ["MeowNote"] } });
  const first = await env.call("POST", "/api/ingest", { role: "ingest", body: { app: "喵记", items: [{ id: "w", text: "Works fine on my iPhone 15，整体还不错" , rating: 4 }] } });
  await env.call("POST", "/api/channels", { body: { name: "console", kind: "console" } });
  await env.call("POST", "/api/rules", { body: { kind: "low_rating", watchlistId: first.json.watchlistId, params: { maxRating: 2 } } });
  const res = await env.call("POST", "/api/ingest", {
    role: "ingest",
    body: {
      app: "喵记",
      items: [
        { id: "c1", text: "一打开就闪退了，iOS 17.4 上 100% 复现 https://example.com/a/very/long/url/that/should/wrap/without/breaking/the/layout", rating: 1, appVersion: "3.1.0", url: "https://example.com/review/c1" },
        { id: "x1", text: "<img src=x onerror=alert(1)>", rating: 3 },
        { id: "p1", text: "界面漂亮，great update, 推荐！", rating: 5, appVersion: "3.2.0" },
      ],
    },
  });
  expect(res.json.errors).toEqual([]);
  expect(res.json.alerts).toBe(1);
  // A crawled page could carry any link: the dashboard must not make a javascript: one clickable.
  await env.database.sql`update mentions set url = 'javascript:alert(2)' where external_id = 'x1'`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: "en-US" });
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await env?.teardown();
});

describe("dashboard", () => {
  test("logs in with a token, finds 闪退, shows scraped HTML as text, opens Trends, acks an alert", async () => {
    await page.goto(env.url);
    await page.fill("#token", "es_wrong");
    await page.click("#login");
    await expect.poll(() => page.textContent(".error")).toMatch(/unknown|revoked/);
    await page.fill("#token", env.tokens.admin);
    await page.click("#login");
    await page.waitForSelector("#page-mentions");

    await page.fill("#q", "闪退");
    await page.click("#search");
    await page.waitForFunction(() => document.querySelectorAll("#results .mention").length === 1);
    expect(await page.textContent("#results .mention .text")).toContain("一打开就闪退了");
    expect(await page.getAttribute("#results .mention a[target=_blank]", "href")).toBe("https://example.com/review/c1");
    // Long mixed-script text wraps inside its card instead of widening the page.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, "mentions.png"), fullPage: true });

    await page.fill("#q", "onerror");
    await page.click("#search");
    await page.waitForFunction(() => document.querySelector("#results .mention .text")?.textContent?.includes("onerror"));
    expect(await page.textContent("#results .mention .text")).toBe("<img src=x onerror=alert(1)>");
    expect(await page.locator("#results img").count()).toBe(0);
    // A javascript: link is not rendered at all.
    expect(await page.locator("#results .mention a").count()).toBe(0);

    await page.click("#nav-trends");
    await page.waitForSelector("#chart-volume canvas");
    await page.waitForSelector("#chart-share canvas");
    await page.screenshot({ path: join(ARTIFACTS, "trends.png"), fullPage: true });

    await page.click("#nav-alerts");
    await page.waitForSelector("#alerts .alert");
    await page.screenshot({ path: join(ARTIFACTS, "alerts.png"), fullPage: true });
    await page.click("#alerts .alert button.ack");
    await page.waitForFunction(() => !document.querySelector("#alerts .alert"));
    const [a] = await env.database.sql<{ state: string; acked_by: string }[]>`select state, acked_by from alerts`;
    expect(a).toMatchObject({ state: "acked", acked_by: expect.stringMatching(/test-admin$/) });
    expect(dialogs).toEqual([]);
  });

  test("the watchlist editor validates as you type, and the sources page shows each source's state", async () => {
    await page.click("#nav-watchlists");
    await page.waitForSelector("#page-watchlists form");
    await page.fill("input[name=app]", "喵记");
    await page.check("input[name=sources][value=appstore]");
    await page.fill("input[name=interval]", "1m");
    await page.waitForFunction(() => document.querySelector("#watchlist-problems")?.textContent?.includes("minimum"));
    expect(await page.textContent("#watchlist-problems")).toMatch(/interval: .*under the appstore minimum/);
    await page.screenshot({ path: join(ARTIFACTS, "watchlists.png"), fullPage: true });

    await page.click("#nav-sources");
    await page.waitForSelector("#page-sources tbody tr");
    expect(await page.textContent("#page-sources tbody")).toContain("feedback");
    await page.screenshot({ path: join(ARTIFACTS, "sources.png"), fullPage: true });
  });

  test("the interface switches between English and Chinese", async () => {
    expect(await page.textContent("#nav-mentions")).toBe("Mentions");
    await page.click("#lang");
    await page.waitForFunction(() => document.querySelector("#nav-mentions")?.textContent === "提及");
    expect(await page.textContent("#nav-trends")).toBe("趋势");
    await page.click("#nav-mentions");
    await page.waitForSelector("#results .mention");
    await page.screenshot({ path: join(ARTIFACTS, "mentions-zh.png"), fullPage: true });
  });
});
