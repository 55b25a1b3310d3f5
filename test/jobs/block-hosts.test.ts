import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCrawl, type CrawlDeps } from "../../jobs/crawl.ts";
import type { AlertPayload } from "../../src/alerts/payload.ts";
import { createSourceHealthMonitor } from "../../src/alerts/source-health.ts";
import { clearBlocks } from "../../src/db/repo/crawl-runs.ts";
import { createWatchlist, upsertApp } from "../../src/db/repo/watchlists.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { TAPTAP_INITIAL_REVIEWS } from "../../src/sandbox/taptap.ts";
import { rule, silent, webhookChannel } from "../alerts/support.ts";
import { createCrawlTestEnv, type CrawlTestEnv } from "../helpers/crawl.ts";

// TapTap's two regions on two hosts, as taptap.cn and taptap.io are: the CN list on the test
// environment's sandbox, the international one on a second sandbox.
let env: CrawlTestEnv;
let intlSite: Sandbox;
let cnHost: string;
let intlHost: string;
let tapCn: number;
let tapIntl: number;
let job = 0;

const crawl = (watchlistId: number, deps: CrawlDeps = env.deps) =>
  runCrawl(deps, { id: `hosts-${++job}`, data: { watchlistId, source: "taptap", trigger: "manual" }, attemptsMade: 0 });
const health = async () =>
  Object.fromEntries((await env.database.sql<{ host: string; state: string }[]>`select host, state from source_health where source = 'taptap'`).map((r) => [r.host, r.state]));

/** The source-health alerts so far, as "condition change". */
const alerts = async () =>
  (await env.database.sql<{ payload: AlertPayload }[]>`select payload from alerts where kind = 'source_health' order by id`).map(
    (a) => `${a.payload.health!.condition} ${a.payload.health!.change}`,
  );

beforeAll(async () => {
  intlSite = await startSandbox();
  env = await createCrawlTestEnv({ EARSHOT_TAPTAP_INTL_URL: intlSite.url, EARSHOT_POLITENESS_TAPTAP: "4/0" });
  cnHost = new URL(env.sandbox.url).host;
  intlHost = new URL(intlSite.url).host;
  const { db } = env.database;
  const cn = await upsertApp(db, { name: "喵记", taptapId: "210001", taptapRegion: "cn" });
  const intl = await upsertApp(db, { name: "快跑", taptapId: "210002", taptapRegion: "intl" });
  tapCn = (await createWatchlist(db, { appId: cn.id, keywords: [], sources: ["taptap"], intervalSec: 900, by: "test" })).id;
  tapIntl = (await createWatchlist(db, { appId: intl.id, keywords: [], sources: ["taptap"], intervalSec: 900, by: "test" })).id;
});
afterAll(async () => {
  await env.teardown();
  await intlSite.close();
});
beforeEach(() => {
  for (const site of [env.sandbox, intlSite]) {
    site.clearFaults();
    site.requests.length = 0;
  }
});

describe("a block on one host of a source", () => {
  it("pauses the runs that ask that host, while a run of the same source on its other host proceeds", async () => {
    env.sandbox.fail({ match: "/webapiv2/", status: 403, body: "Forbidden" });
    const blocked = await crawl(tapCn);
    expect(blocked.status).toBe("blocked");
    expect(blocked.message).toContain(`earshot source unblock taptap --host ${cnHost}`);
    expect(await health()).toEqual({ [cnHost]: "blocked" });
    env.sandbox.clearFaults();
    env.sandbox.requests.length = 0;

    const intl = await crawl(tapIntl);
    expect([intl.status, intl.new]).toEqual(["ok", TAPTAP_INITIAL_REVIEWS]);
    expect(intlSite.requests.length).toBeGreaterThan(0);

    // The good international run cleared nothing on the CN host: it stays paused.
    const paused = await crawl(tapCn);
    expect(paused.status).toBe("blocked");
    expect(paused.message).toMatch(new RegExp(`paused on ${cnHost.replace(/\./g, "\\.")}.*earshot source unblock taptap --host`));
    expect(env.sandbox.requests).toHaveLength(0);
    expect(await health()).toEqual({ [cnHost]: "blocked" });
  });

  it("ends when an admin unblocks the host; the recovered alert waits for a run that succeeds", async () => {
    const ch = await webhookChannel(env.database.sql, "http://127.0.0.1:9/unused");
    await rule(env.database.sql, { kind: "source_health", channelIds: [ch], params: { failingRuns: 3, silentRuns: 2, plentyItems: 10 } });
    const deps = { ...env.deps, sourceHealth: createSourceHealthMonitor({ sql: env.database.sql, logger: silent }) };

    // Still blocked from the test above: unblocking the other host changes nothing.
    expect(await clearBlocks(env.database.db, "taptap", intlHost)).toEqual([]);
    expect((await crawl(tapCn, deps)).status).toBe("blocked");
    expect(env.sandbox.requests).toHaveLength(0);

    const ended = await clearBlocks(env.database.db, "taptap", cnHost);
    expect(ended).toMatchObject([{ source: "taptap", host: cnHost, reason: "the site forbids access (HTTP 403)" }]);
    expect(ended[0]!.until!.getTime()).toBeGreaterThan(Date.now());
    expect(await health()).toEqual({ [cnHost]: "ok" });

    // Blocked again on the next try: one alert for the block, none for the unblock.
    env.sandbox.fail({ match: "/webapiv2/", status: 403, body: "Forbidden" });
    expect((await crawl(tapCn, deps)).status).toBe("blocked");
    expect(await alerts()).toEqual(["blocked started"]);
    await clearBlocks(env.database.db, "taptap", cnHost);
    expect(await alerts()).toEqual(["blocked started"]);

    env.sandbox.clearFaults();
    const ok = await crawl(tapCn, deps);
    expect([ok.status, ok.new]).toEqual(["ok", TAPTAP_INITIAL_REVIEWS]);
    expect(await alerts()).toEqual(["blocked started", "blocked recovered"]);
  });

  it("says the source recovered only when none of its hosts is paused any more", async () => {
    const deps = { ...env.deps, sourceHealth: createSourceHealthMonitor({ sql: env.database.sql, logger: silent }) };
    const before = await alerts();
    env.sandbox.fail({ match: "/webapiv2/", status: 403, body: "Forbidden" });
    expect((await crawl(tapCn, deps)).status).toBe("blocked");
    env.sandbox.clearFaults();
    expect(await alerts()).toEqual([...before, "blocked started"]);

    // The international host answers, but the CN host is still paused: no recovery yet.
    expect((await crawl(tapIntl, deps)).status).toBe("ok");
    expect(await alerts()).toEqual([...before, "blocked started"]);

    await clearBlocks(env.database.db, "taptap", cnHost);
    expect((await crawl(tapCn, deps)).status).toBe("ok");
    expect(await alerts()).toEqual([...before, "blocked started", "blocked recovered"]);
  });
});
