import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Language } from "./language.ts";

/** The model committed with the project; `earshot train` writes it. */
export const defaultModelPath = fileURLToPath(new URL("./model/sentiment.bin", import.meta.url));

const MAGIC = "EARSHOT-SENTIMENT\n";

/** Bias per language of one task; a language without an entry was not trained for the task. */
export type TaskBias = Partial<Record<Language, number>>;

/** What a model file says about itself (the JSON header of the file). */
export interface ModelInfo {
  format: 1;
  bits: number;
  /** Hash of the word lists and feature code version the model was trained with. */
  featureFingerprint: string;
  /** Corpora and example counts, for the model card and `earshot score --explain`. */
  trainedOn: { name: string; lang: string; examples: number; neutral: number }[];
  hyperparameters: Record<string, number>;
}

/**
 * Two logistic-regression tasks over one hashed feature space: polarity (positive 1 vs negative 0)
 * and neutral (neutral 1 vs polar 0: questions, news, announcements, reposts). Their weights are
 * interleaved (slot i holds polarity at 2i, neutral at 2i+1) so one memory fetch serves both, and
 * kept as the file's int16 values (times the task's scale): half the memory of floats, so more of
 * the table stays in cache while scoring.
 */
export interface SentimentModel {
  info: ModelInfo;
  polarityBias: TaskBias;
  neutralBias: TaskBias;
  weights: Int16Array;
  polarityScale: number;
  neutralScale: number;
}

interface StoredTask {
  bias: Partial<Record<Language, number>>;
  scale: number;
  count: number;
}

/** Rounds to 6 significant digits, so headers format the same on every run. */
function round6(x: number): number {
  return Number(x.toPrecision(6));
}

function quantize(weights: Float32Array | Float64Array, scale: number): { idx: number[]; q: number[] } {
  const idx: number[] = [];
  const q: number[] = [];
  for (let i = 0; i < weights.length; i++) {
    const v = Math.round(weights[i]! / scale);
    if (v !== 0) {
      idx.push(i);
      q.push(Math.max(-32767, Math.min(32767, v)));
    }
  }
  return { idx, q };
}

function writeVarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

/**
 * Serialises a model: a text magic line, a JSON header line, then per task the sparse weights
 * as delta-varint indices and int16 values (scaled by the task's largest weight). Only non-zero
 * weights are stored, and nothing depends on time or the machine, so the same weights always
 * give the same bytes.
 */
export function serializeModel(
  info: ModelInfo,
  tasks: { polarity: { bias: Partial<Record<Language, number>>; weights: Float64Array }; neutral: { bias: Partial<Record<Language, number>>; weights: Float64Array } },
): Buffer {
  const stored: Record<string, StoredTask> = {};
  const bodies: Buffer[] = [];
  for (const name of ["polarity", "neutral"] as const) {
    const t = tasks[name];
    let max = 0;
    for (const w of t.weights) max = Math.max(max, Math.abs(w));
    const scale = round6(max > 0 ? max / 32767 : 1);
    const { idx, q } = quantize(t.weights, scale);
    const bytes: number[] = [];
    let last = 0;
    for (const i of idx) {
      writeVarint(bytes, i - last);
      last = i;
    }
    const values = Buffer.alloc(q.length * 2);
    q.forEach((v, k) => values.writeInt16LE(v, k * 2));
    const bias = Object.fromEntries(Object.entries(t.bias).map(([k, v]) => [k, round6(v as number)]));
    stored[name] = { bias, scale, count: idx.length };
    bodies.push(Buffer.from(bytes), values);
  }
  const header = JSON.stringify({ ...info, tasks: stored });
  return Buffer.concat([Buffer.from(MAGIC + header + "\n", "utf8"), ...bodies]);
}

/** Parses a model file; throws with a clear message if it is not one. */
export function deserializeModel(buf: Buffer): SentimentModel {
  if (buf.subarray(0, MAGIC.length).toString("utf8") !== MAGIC) throw new Error("not an earshot sentiment model file");
  const headerEnd = buf.indexOf(0x0a, MAGIC.length);
  const header = JSON.parse(buf.subarray(MAGIC.length, headerEnd).toString("utf8")) as ModelInfo & {
    tasks: Record<"polarity" | "neutral", StoredTask>;
  };
  if (header.format !== 1) throw new Error(`unsupported model format ${String(header.format)}`);
  const weights = new Int16Array(2 << header.bits);
  let pos = headerEnd + 1;
  const read = (t: StoredTask, offset: number): void => {
    const idx = new Int32Array(t.count);
    let last = 0;
    for (let k = 0; k < t.count; k++) {
      let v = 0;
      let shift = 0;
      let b: number;
      do {
        b = buf[pos++]!;
        v |= (b & 0x7f) << shift;
        shift += 7;
      } while (b & 0x80);
      last += v;
      idx[k] = last;
    }
    for (let k = 0; k < t.count; k++) {
      weights[2 * idx[k]! + offset] = buf.readInt16LE(pos);
      pos += 2;
    }
  };
  read(header.tasks.polarity, 0);
  read(header.tasks.neutral, 1);
  const { tasks, ...info } = header;
  return {
    info,
    polarityBias: tasks.polarity.bias,
    neutralBias: tasks.neutral.bias,
    weights,
    polarityScale: tasks.polarity.scale,
    neutralScale: tasks.neutral.scale,
  };
}

/** Reads a model file, or returns null when there is none. */
export function readModelFile(path: string): SentimentModel | null {
  if (!existsSync(path)) return null;
  return deserializeModel(readFileSync(path));
}

/** Σ w·x + bias of both tasks in one pass; a task not trained for this language gives null. */
export function linearScores(
  model: SentimentModel,
  lang: Language,
  idx: Int32Array,
  val: Float32Array,
  n: number,
): { polarity: number | null; neutral: number | null } {
  let zp = 0;
  let zn = 0;
  const w = model.weights;
  for (let i = 0; i < n; i++) {
    const slot = idx[i]! << 1;
    const v = val[i]!;
    zp += w[slot]! * v;
    zn += w[slot + 1]! * v;
  }
  const bp = model.polarityBias[lang];
  const bn = model.neutralBias[lang];
  return {
    polarity: bp === undefined ? null : zp * model.polarityScale + bp,
    neutral: bn === undefined ? null : zn * model.neutralScale + bn,
  };
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}
