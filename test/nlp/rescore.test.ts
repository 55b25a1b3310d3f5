import { afterAll, beforeAll, expect, it } from "vitest";
import { rescoreMentions } from "../../src/nlp/rescore.ts";
import { createTestEnv, type TestEnv } from "../helpers/env.ts";

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => {
  await env?.teardown();
});

it("re-scores stored mentions in batches, only those fetched since the given time", async () => {
  const { sql } = env.database;
  const rows = [
    { id: "w1", text: "更新后一直闪退，垃圾软件", rating: null, fetched: "2024-06-02" },
    { id: "w2", text: "很好用，推荐", rating: null, fetched: "2024-06-02" },
    { id: "s1", text: "Charged me twice and no refund", rating: 1, fetched: "2024-06-03" },
    { id: "old", text: "一直闪退", rating: null, fetched: "2024-01-01" },
  ];
  for (const r of rows) {
    await sql`insert into mentions (source, external_id, text, rating, fetched_at, fingerprint, simhash, sim_bands)
      values ('weibo', ${r.id}, ${r.text}, ${r.rating}, ${r.fetched}, ${r.id}, 0, '{0,1,2,3}')`;
  }
  const batches: number[] = [];
  const done = await rescoreMentions(sql, { since: new Date("2024-06-01"), batchSize: 2, onBatch: (n) => batches.push(n) });
  expect(done).toBe(3);
  expect(batches).toEqual([2, 3]);
  const stored = await sql<{ external_id: string; language: string; sentiment_label: string; sentiment_score: number; complaint: boolean; complaint_category: string | null }[]>`
    select external_id, language, sentiment_label, sentiment_score, complaint, complaint_category from mentions order by external_id`;
  const by = Object.fromEntries(stored.map((r) => [r.external_id, r]));
  expect(by.w1).toMatchObject({ language: "zh", sentiment_label: "negative", complaint: true, complaint_category: "crash" });
  expect(by.w2).toMatchObject({ sentiment_label: "positive", complaint: false, complaint_category: null });
  expect(by.s1).toMatchObject({ language: "en", sentiment_label: "negative", complaint: true, complaint_category: "payment" });
  expect(by.w1!.sentiment_score).toBeLessThan(-0.2);
  expect(by.old).toMatchObject({ sentiment_label: null, complaint: null });
});
