import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";

/** Polarity labels: 1 positive, 0 negative; "neutral" rows train the neutral-vs-polar task. */
export type TrainLabel = 0 | 1 | "neutral";

export interface LabeledText {
  label: TrainLabel;
  text: string;
}

export interface Corpus {
  name: string;
  examples: LabeledText[];
  /** Lines that could not be read (bad label, no text). */
  skipped: number;
}

const labelWords: Record<string, TrainLabel> = {
  "1": 1, pos: 1, positive: 1, "+1": 1, "+": 1,
  "0": 0, neg: 0, negative: 0, "-1": 0, "-": 0,
  "2": "neutral", neu: "neutral", neutral: "neutral", n: "neutral",
};

/**
 * Reads `label<TAB>text` lines (the format of the shared corpora and of `earshot train --data`).
 * Labels: 1/pos/positive, 0/neg/negative, neutral/neu. Blank lines and lines starting with # are
 * ignored; any other unreadable line is counted in `skipped`.
 */
export function parseLabeledTsv(content: string): { examples: LabeledText[]; skipped: number } {
  const examples: LabeledText[] = [];
  let skipped = 0;
  for (const line of content.split(/\r?\n/)) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const tab = line.indexOf("\t");
    const label = tab < 0 ? undefined : labelWords[line.slice(0, tab).trim().toLowerCase()];
    const text = tab < 0 ? "" : line.slice(tab + 1).trim();
    if (label === undefined || text === "") {
      skipped++;
      continue;
    }
    examples.push({ label, text });
  }
  return { examples, skipped };
}

export function readLabeledFile(path: string): Corpus {
  const { examples, skipped } = parseLabeledTsv(readFileSync(path, "utf8"));
  return { name: basename(path), examples, skipped };
}

/**
 * The corpora's own split rule (see their SOURCE.md): md5 of the text, first 8 hex digits,
 * mod 10; buckets 0-1 are dev. Used to take neutral rows from the 3-class files without
 * touching a dev text.
 */
export function isDevText(text: string): boolean {
  const h = parseInt(createHash("md5").update(text, "utf8").digest("hex").slice(0, 8), 16);
  return h % 10 < 2;
}

/**
 * Neutral rows that two corpora ship beside their binary files, as (file, column of the class,
 * neutral class name, column of the text); the files have a header line.
 */
const neutralSources: Record<string, { file: string; classColumn: number; neutral: string; textColumn: number }> = {
  smp2020_ewect: { file: "emotion6_all.tsv", classColumn: 1, neutral: "neural", textColumn: 2 },
  twitter_us_airline: { file: "all_3class.tsv", classColumn: 0, neutral: "neutral", textColumn: 4 },
};

function readNeutralRows(dir: string, name: string): LabeledText[] {
  const src = neutralSources[name];
  if (!src || !existsSync(join(dir, src.file))) return [];
  const lines = readFileSync(join(dir, src.file), "utf8").split(/\r?\n/).slice(1);
  const seen = new Set<string>();
  const out: LabeledText[] = [];
  for (const line of lines) {
    const cols = line.split("\t");
    const text = (cols[src.textColumn] ?? "").trim();
    if (cols[src.classColumn] !== src.neutral || text === "" || seen.has(text) || isDevText(text)) continue;
    seen.add(text);
    out.push({ label: "neutral", text });
  }
  return out;
}

/**
 * Every corpus folder under `dir` (one with a train.tsv), sorted by name: its train.tsv, plus
 * the training-split neutral rows where the folder has a 3-class file. dev.tsv is never read here.
 */
export function readCorpora(dir: string): Corpus[] {
  const names = readdirSync(dir)
    .filter((n) => statSync(join(dir, n)).isDirectory() && existsSync(join(dir, n, "train.tsv")))
    .sort();
  return names.map((name) => {
    const train = readLabeledFile(join(dir, name, "train.tsv"));
    return { name, examples: [...train.examples, ...readNeutralRows(join(dir, name), name)], skipped: train.skipped };
  });
}

/** dev.tsv of every corpus folder, for evaluation. */
export function readDevSets(dir: string): Corpus[] {
  return readdirSync(dir)
    .filter((n) => existsSync(join(dir, n, "dev.tsv")))
    .sort()
    .map((name) => ({ ...readLabeledFile(join(dir, name, "dev.tsv")), name }));
}
