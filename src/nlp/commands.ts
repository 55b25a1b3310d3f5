import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { loadConfig, parseDuration } from "../config.ts";
import { openDatabase } from "../db/client.ts";
import { readCorpora, readLabeledFile, type Corpus } from "./corpora.ts";
import { defaultModelPath, deserializeModel } from "./model.ts";
import { defaultCorporaDir } from "./paths.ts";
import { rescoreMentions } from "./rescore.ts";
import { explainText, scoreTexts, useModel, type TextScore } from "./score.ts";
import { defaultTrainOptions, trainModel } from "./train.ts";

/** The JSON line `earshot score` prints for one text; keys always in this order. */
export function formatScoreLine(s: TextScore, explain?: ReturnType<typeof explainText>): string {
  const out: Record<string, unknown> = {
    lang: s.lang,
    label: s.label,
    score: s.score,
    complaint: s.complaint,
    category: s.category,
  };
  if (explain) out.explain = explain;
  return JSON.stringify(out);
}

/** `earshot score`: one text per stdin line in, one JSON object per line out, in order. */
export async function runScore(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, explain: boolean): Promise<void> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  // Lines are scored 256 at a time (one jieba call for the Chinese ones) and written together.
  let pending: string[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const texts = pending;
    pending = [];
    const scores = scoreTexts(texts.map((text) => ({ text })));
    const chunk = scores.map((s, i) => formatScoreLine(s, explain ? explainText({ text: texts[i]! }) : undefined) + "\n").join("");
    if (!output.write(chunk)) await new Promise((r) => output.once("drain", r));
  };
  for await (const line of lines) {
    pending.push(line);
    if (pending.length >= 256) await flush();
  }
  await flush();
}

function parseSince(value: string): Date {
  if (/^\d+(ms|s|m|h|d)?$/.test(value)) return new Date(Date.now() - parseDuration(value));
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new Error(`--since: "${value}" is neither a duration (7d, 12h) nor a date`);
  return d;
}

/** Registers `train`, `score` and `rescore` on the earshot CLI. */
export function registerNlpCommands(program: Command): void {
  program
    .command("train")
    .description("train the sentiment model from labelled TSV (label<TAB>text) and write the model file")
    .option("--corpora <dir>", "folder of corpus folders, each with a train.tsv (default: ../shared/data/sentiment beside the project)")
    .option("--data <file...>", "your own labelled TSV file(s); without --corpora, the model is trained on these alone")
    .option("--out <file>", "where to write the model", defaultModelPath)
    .action((opts: { corpora?: string; data?: string[]; out: string }) => {
      const started = Date.now();
      const log = (line: string) => process.stderr.write(line + "\n");
      const corpora: Corpus[] = [];
      if (opts.corpora || !opts.data) {
        const dir = resolve(opts.corpora ?? defaultCorporaDir);
        log(`Reading corpora from ${dir}`);
        corpora.push(...readCorpora(dir));
      }
      for (const file of opts.data ?? []) corpora.push(readLabeledFile(resolve(file)));
      if (corpora.every((c) => c.examples.length === 0)) throw new Error("no labelled examples found");
      const bytes = trainModel(corpora, defaultTrainOptions, log);
      const out = resolve(opts.out);
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, bytes);
      useModel(deserializeModel(bytes));
      log(`Wrote ${out} (${(bytes.length / 1024).toFixed(0)} KiB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });

  program
    .command("score")
    .description("score texts: one per stdin line in, one JSON object per line out")
    .option("--explain", "add the strongest features and the complaint cues found")
    .action(async (opts: { explain?: boolean }) => {
      await runScore(process.stdin, process.stdout, opts.explain === true);
    });

  program
    .command("rescore")
    .description("re-score stored mentions (after a model change), in batches")
    .option("--since <when>", "only mentions fetched since a duration ago (7d, 12h) or a date (2024-06-01)")
    .option("--batch <n>", "mentions per batch", "1000")
    .action(async (opts: { since?: string; batch: string }) => {
      const config = loadConfig();
      const database = openDatabase(config.databaseUrl, { max: 2 });
      try {
        const total = await rescoreMentions(database.sql, {
          since: opts.since ? parseSince(opts.since) : undefined,
          batchSize: Math.max(1, Number(opts.batch) || 1000),
          onBatch: (done) => process.stderr.write(`\rre-scored ${done}`),
        });
        process.stderr.write(`\rre-scored ${total} mentions\n`);
      } finally {
        await database.close();
      }
    });
}
