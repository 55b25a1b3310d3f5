import { afterAll, beforeAll, expect, it } from "vitest";
import { searchTerms } from "../../src/pipeline/search-terms.ts";
import { createTestEnv, type TestEnv } from "../helpers/env.ts";

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(() => env.teardown());

it("makes the same lexemes as the database function that backfilled older rows", async () => {
  const docs: [string | null, string][] = [
    [null, "一打开就闪退了"],
    ["登录失败", "Login FAILS on iOS 17, 验证码 never arrives; café crème"],
    [null, "喵 ok 猫"],
    ["", "アップデート後、起動直後に落ちます"],
    [null, "!!! ??? 😡"],
  ];
  for (const [title, text] of docs) {
    const [row] = await env.database.sql<{ terms: string[] }[]>`select public.earshot_search_terms(coalesce(${title}::text, '') || ' ' || ${text}) as terms`;
    expect(searchTerms(title, text).sort()).toEqual([...row!.terms].sort());
  }
  expect(searchTerms(null, "一打开就闪退了")).toContain("闪退");
});
