import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker } from "../../src/worker.ts";
import { seedMentions, seedWatchlist } from "../api/seed.ts";
import { createTestEnv, type TestEnv } from "../helpers/env.ts";

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const remaining = async (ids: number[]) =>
  (await env.database.sql<{ id: string }[]>`select id from mentions where id = any(${ids}::int8[]) order by id`).map((r) => Number(r.id));

describe("the retention job", () => {
  it("a worker alone, with no API running, deletes mentions past their app's retention on its schedule", async () => {
    const { appId, watchlistId } = await seedWatchlist(env.database.sql, "保留");
    const forever = await seedWatchlist(env.database.sql, "永久");
    const old = new Date(Date.now() - 40 * 86400_000).toISOString();
    const [gone, recent] = await seedMentions(env.database.sql, watchlistId, [
      { text: "四十天前的差评", publishedAt: old, sentimentLabel: "negative" },
      { text: "今天的评论", sentimentLabel: "neutral" },
    ]);
    const [keptOld] = await seedMentions(env.database.sql, forever.watchlistId, [{ text: "另一个应用的旧评论", publishedAt: old }]);
    await env.database.sql`insert into app_settings (app_id, retention_days, updated_by) values (${appId}, 30, 'test')`;
    const all = [gone!, recent!, keptOld!];

    const worker = await startWorker(env.config, { reconcile: false, alerting: false, logger: pino({ level: "silent" }), retention: { everyMs: 300, firstAfterMs: 100 } });
    try {
      const deadline = Date.now() + 20_000;
      while ((await remaining(all)).length === 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await remaining(all)).toEqual([recent, keptOld]);
      const [daily] = await env.database.sql<{ mentions: number }[]>`select mentions from mention_daily where app_id = ${appId}`;
      expect(daily?.mentions).toBe(1);
    } finally {
      await worker.close();
    }
  });

});
