import { PassThrough } from "node:stream";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerNlpCommands, runScore } from "../../src/nlp/commands.ts";

async function score(lines: string[], explain = false): Promise<string[]> {
  const input = new PassThrough();
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on("data", (c: Buffer) => chunks.push(c));
  input.end(lines.join("\n") + "\n");
  await runScore(input, output, explain);
  return Buffer.concat(chunks).toString("utf8").split("\n").slice(0, -1);
}

describe("earshot score", () => {
  it("prints one JSON object per input line, in order, with the contract's keys", async () => {
    const texts = ["这个app更新后一直闪退，垃圾", "", "Love this app!", "请问怎么修改密码？", "😀"];
    const out = await score(texts);
    expect(out).toHaveLength(texts.length);
    const parsed = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const p of parsed) expect(Object.keys(p)).toEqual(["lang", "label", "score", "complaint", "category"]);
    expect(parsed[0]).toMatchObject({ lang: "zh", label: "negative", complaint: true, category: "crash" });
    expect(out[1]).toBe('{"lang":"other","label":"neutral","score":0,"complaint":false,"category":null}');
    expect(parsed[2]).toMatchObject({ lang: "en", label: "positive", complaint: false, category: null });
    expect(parsed[4]).toMatchObject({ lang: "other", label: "neutral" });
  });

  it("keeps order on many lines and handles CRLF input", async () => {
    const texts = Array.from({ length: 1000 }, (_, i) => (i % 2 ? `第${i}条：闪退了` : `post ${i} is great`));
    const out = await score(texts.map((t) => t + "\r"));
    expect(out).toHaveLength(1000);
    expect(JSON.parse(out[1]!).lang).toBe("zh");
    expect(JSON.parse(out[998]!).lang).toBe("en");
  });

  it("adds the strongest features with --explain", async () => {
    const [line] = await score(["这个软件一直闪退，太垃圾了"], true);
    const p = JSON.parse(line!) as { explain: { features: { feature: string; weight: number }[]; cues: string[] } };
    expect(p.explain.features.length).toBeGreaterThan(0);
    expect(p.explain.features.some((f) => f.weight < 0)).toBe(true);
    expect(p.explain.cues.some((c) => c.startsWith("闪退"))).toBe(true);
  });

  it("registers train, score and rescore", () => {
    const program = new Command();
    registerNlpCommands(program);
    expect(program.commands.map((c) => c.name()).sort()).toEqual(["rescore", "score", "train"]);
    const train = program.commands.find((c) => c.name() === "train")!;
    expect(train.options.map((o) => o.long)).toEqual(expect.arrayContaining(["--corpora", "--data", "--out"]));
  });
});
