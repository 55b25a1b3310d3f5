import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerNlpCommands } from "../../src/nlp/commands.ts";
import { parseLabeledTsv, readCorpora } from "../../src/nlp/corpora.ts";
import { defaultModelPath, deserializeModel } from "../../src/nlp/model.ts";
import { defaultCorporaDir } from "../../src/nlp/paths.ts";
import { defaultTrainOptions, trainModel } from "../../src/nlp/train.ts";

const small = parseLabeledTsv(
  [
    "1\t很好用，推荐",
    "1\t流畅，界面简洁，喜欢",
    "1\tgreat app, love it",
    "1\tworks perfectly, very helpful",
    "0\t一直闪退，垃圾",
    "0\t太卡了，不好用",
    "0\tkeeps crashing, terrible",
    "0\tuseless, waste of money",
    "neutral\t请问怎么改密码？",
    "neutral\thow do I export my data?",
    "bad line without a tab",
    "# a comment",
    "",
  ].join("\n"),
);

describe("training", () => {
  it("reads the TSV format, counting unreadable lines", () => {
    expect(small.examples).toHaveLength(10);
    expect(small.skipped).toBe(1);
    expect(small.examples.filter((e) => e.label === "neutral")).toHaveLength(2);
  });

  it("gives byte-identical models for the same data", () => {
    const corpus = [{ name: "small", examples: small.examples, skipped: 0 }];
    const a = trainModel(corpus);
    const b = trainModel(corpus);
    expect(a.equals(b)).toBe(true);
    const model = deserializeModel(a);
    expect(model.info.trainedOn).toEqual([{ name: "small", lang: "zh", examples: 10, neutral: 2 }]);
    expect(Object.keys(model.polarityBias).sort()).toEqual(["en", "zh"]);
  });

  it("changes the model when the data changes", () => {
    const a = trainModel([{ name: "small", examples: small.examples, skipped: 0 }]);
    const b = trainModel([{ name: "small", examples: small.examples.slice(1), skipped: 0 }]);
    expect(a.equals(b)).toBe(false);
  });

  it("retrains on a user's own file with one command (earshot train --data my.tsv)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "earshot-train-"));
    const data = join(dir, "my.tsv");
    writeFileSync(data, "1\tlove it\n0\thate it\n1\t好用\n0\t难用\n");
    const out = join(dir, "model.bin");
    const program = new Command().exitOverride();
    registerNlpCommands(program);
    await program.parseAsync(["node", "earshot", "train", "--data", data, "--out", out]);
    const model = deserializeModel(readFileSync(out));
    expect(model.info.trainedOn.map((c) => c.name)).toEqual(["my.tsv"]);
  });
});

// The full training run takes about a minute; it needs the shared corpora beside the project.
describe.skipIf(!existsSync(defaultCorporaDir))("the committed model", () => {
  it("is exactly what `earshot train` produces from the corpora", { timeout: 600_000 }, () => {
    const bytes = trainModel(readCorpora(defaultCorporaDir), defaultTrainOptions);
    const committed = readFileSync(defaultModelPath);
    expect(bytes.length).toBe(committed.length);
    expect(bytes.equals(committed)).toBe(true);
  });
});
