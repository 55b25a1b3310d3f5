import { createHmac } from "node:crypto";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { main } from "../../src/cli.ts";
import { createTestEnv, type TestEnv } from "../helpers/env.ts";
import { startReceiver, type Receiver } from "./receiver.ts";
import { matched, review, store, watch } from "./support.ts";

let env: TestEnv;
let receiver: Receiver;
beforeAll(async () => {
  env = await createTestEnv();
  receiver = await startReceiver();
  // The commands read the environment as `earshot` would: point it at this test's database and prefix.
  for (const k of ["DATABASE_URL", "REDIS_URL", "EARSHOT_QUEUE_PREFIX"]) process.env[k] = env.childEnv[k];
});
afterAll(async () => {
  await receiver.close();
  await env.teardown();
});

/** Runs `earshot ARGS` in this process (a child per command would take seconds each), capturing its output. */
async function earshot(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  const error = vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  try {
    process.exitCode = undefined;
    const code = await main(args);
    return { code, stdout: out.join("\n"), stderr: err.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

it("lets an admin add a channel and a rule, test the channel, and never shows the secret", async () => {
  const refused = await earshot("channel", "add", "--name", "local", "--kind", "webhook", "--url", `http://127.0.0.1:${receiver.port}/hook`, "--allow-insecure");
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/allowPrivateTargets/);

  const added = await earshot("channel", "add", "--name", "local", "--kind", "webhook", "--url", `http://127.0.0.1:${receiver.port}/hook`, "--secret", "cli-secret-1", "--allow-insecure", "--allow-private-targets");
  expect(added.code).toBe(0);
  const channelId = added.stdout.trim().split("\n").at(-1)!;
  const listed = await earshot("channel", "list");
  expect(listed.stdout).toContain("local");
  expect(listed.stdout + listed.stderr).not.toContain("cli-secret-1");
  expect(listed.stdout).not.toContain("/hook");

  const tested = await earshot("channel", "test", channelId);
  expect(tested.stdout).toMatch(/test message delivered \(status 200\)/);
  expect((receiver.received.at(-1)!.json as { type: string }).type).toBe("test");

  const w = await watch(env.database.sql, env.database.db, "命令App");
  const ruled = await earshot("rule", "add", "--watch", String(w), "--kind", "keyword", "--words", "泄露,data breach", "--channels", channelId);
  expect(ruled.code).toBe(0);
  const rules = await earshot("rule", "list", "--json");
  expect(JSON.parse(rules.stdout.trim().split("\n")[0]!)).toMatchObject({ kind: "keyword", severity: "critical", params: { words: ["泄露", "data breach"] }, channelIds: [Number(channelId)] });
  const bad = await earshot("rule", "add", "--watch", String(w), "--kind", "keyword");
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/words/);
});

it("lets an admin move a channel to a new URL and rotate its secret in place, with the new URL checked", async () => {
  const added = await earshot("channel", "add", "--name", "moving", "--kind", "webhook", "--url", `http://127.0.0.1:${receiver.port}/old`, "--secret", "old-secret", "--allow-insecure", "--allow-private-targets");
  const channelId = added.stdout.trim().split("\n").at(-1)!;
  const moved = await earshot("channel", "update", channelId, "--url", `http://127.0.0.1:${receiver.port}/new`, "--secret", "new-secret-2");
  expect(moved.code, moved.stderr).toBe(0);
  await earshot("channel", "test", channelId);
  const hit = receiver.received.at(-1)!;
  expect(hit.url).toBe("/new");
  const signature = createHmac("sha256", "new-secret-2").update(`${hit.headers["x-earshot-timestamp"]}.${hit.body}`).digest("hex");
  expect(hit.headers["x-earshot-signature"]).toBe(`sha256=${signature}`);

  // Narrowing the policy re-checks the target it would leave in place.
  const narrowed = await earshot("channel", "update", channelId, "--allow-private-targets", "no");
  expect(narrowed.code).toBe(2);
  expect(narrowed.stderr).toMatch(/url: .*allowPrivateTargets/);
  expect((await earshot("channel", "update", "99999", "--name", "x")).stderr).toMatch(/channel 99999 does not exist/);
  const unsigned = await earshot("channel", "update", channelId, "--no-secret", "--name", "moved");
  expect(unsigned.code, unsigned.stderr).toBe(0);
  const listed = JSON.parse((await earshot("channel", "list", "--json")).stdout.split("\n").find((l) => l.includes('"moved"'))!);
  expect(listed).toMatchObject({ id: Number(channelId), name: "moved", hasSecret: false, allowPrivateTargets: true });
});

it("lets an operator list, acknowledge and resolve alerts, recording who and when", async () => {
  const w = (await env.database.sql`select id from watchlists limit 1`)[0]!.id as number;
  const r = await store(env.database.sql, w, matched([""], review("Massive data breach, my card was charged")), "weibo");
  expect(r.alerts).toBe(1);
  const id = (await env.database.sql`select id from alerts`)[0]!.id as string;
  const open = await earshot("alerts", "list", "--state", "open", "--app", "命令App", "--json");
  expect(JSON.parse(open.stdout.trim())).toMatchObject({ id: Number(id), state: "open", kind: "keyword", app: "命令App" });
  expect((await earshot("alerts", "ack", String(id))).code).toBe(0);
  expect((await earshot("alerts", "ack", String(id))).stderr).toMatch(/is acked, not open/);
  expect((await earshot("alerts", "resolve", String(id), "--note", "refund issued")).code).toBe(0);
  const [a] = await env.database.sql`select state, acked_by, acked_at, resolved_by, resolved_at, note from alerts where id = ${id}`;
  expect(a).toMatchObject({ state: "resolved", note: "refund issued" });
  expect(a!.acked_by).toMatch(/^cli:/);
  expect(a!.resolved_by).toMatch(/^cli:/);
  expect(a!.acked_at).not.toBeNull();
  expect((await earshot("alerts", "list", "--state", "open", "--json")).stdout.trim()).toBe("");
});

it("lets an admin edit a rule in place: one option changes alone, and the change decides what alerts next", async () => {
  const w = await watch(env.database.sql, env.database.db, "改规则App");
  const ruleOf = async (ruleId: string) =>
    JSON.parse((await earshot("rule", "list", "--watch", String(w), "--json")).stdout.split("\n").find((l) => JSON.parse(l).id === Number(ruleId))!);
  const alertsOf = async () => (await env.database.sql`select payload->'mention'->>'rating' as rating from alerts where watchlist_id = ${w} order by id`).map((r) => Number(r.rating));

  const added = await earshot("rule", "add", "--watch", String(w), "--kind", "low-rating");
  const ruleId = added.stdout.trim().split("\n").at(-1)!;
  const edited = await earshot("rule", "edit", ruleId, "--max-rating", "3", "--severity", "critical", "--cooldown", "30m", "--cooldown-by", "author", "--disable");
  expect(edited.code, edited.stderr).toBe(0);
  expect(await ruleOf(ruleId)).toMatchObject({ kind: "low_rating", severity: "critical", params: { maxRating: 3 }, cooldownSec: 1800, cooldownBy: "author", enabled: false });
  await store(env.database.sql, w, matched([""], review("一星，闪退", { rating: 1 })));
  expect(await alertsOf()).toEqual([]);

  expect((await earshot("rule", "edit", ruleId, "--enable", "--cooldown", "off")).code).toBe(0);
  await store(env.database.sql, w, matched([""], review("三星，还是一般", { rating: 3 }), review("四星", { rating: 4 })));
  expect(await alertsOf()).toEqual([3]);
  expect(await ruleOf(ruleId)).toMatchObject({ severity: "critical", params: { maxRating: 3 }, cooldownSec: 0, enabled: true });

  // A complaint rule keeps its categories when only its threshold changes.
  const complaint = (await earshot("rule", "add", "--watch", String(w), "--kind", "complaint", "--categories", "crash,login")).stdout.trim().split("\n").at(-1)!;
  expect((await earshot("rule", "edit", complaint, "--max-score", "-0.5")).code).toBe(0);
  expect((await ruleOf(complaint)).params).toEqual({ maxScore: -0.5, categories: ["crash", "login"] });

  const channelId = (await earshot("channel", "add", "--name", "rule-edit console", "--kind", "console")).stdout.trim().split("\n").at(-1)!;
  expect((await earshot("rule", "edit", complaint, "--channels", channelId)).code).toBe(0);
  expect((await ruleOf(complaint)).channelIds).toEqual([Number(channelId)]);
  expect((await earshot("rule", "edit", complaint, "--channels", "all")).code).toBe(0);
  expect((await ruleOf(complaint)).channelIds).toEqual([]);

  const wrongKind = await earshot("rule", "edit", ruleId, "--words", "泄露");
  expect(wrongKind.code).toBe(2);
  expect(wrongKind.stderr).toMatch(/low-rating rule has no words/);
  const badValue = await earshot("rule", "edit", ruleId, "--max-rating", "9");
  expect(badValue.code).toBe(2);
  expect(badValue.stderr).toMatch(/maxRating/);
  expect((await earshot("rule", "edit", ruleId, "--channels", "99999")).stderr).toMatch(/no channel 99999/);
  expect((await earshot("rule", "edit", ruleId)).stderr).toMatch(/nothing to change/);
  expect((await earshot("rule", "edit", "99999", "--severity", "info")).stderr).toMatch(/rule 99999 does not exist/);
  expect(await ruleOf(ruleId)).toMatchObject({ severity: "critical", params: { maxRating: 3 }, enabled: true });
});
