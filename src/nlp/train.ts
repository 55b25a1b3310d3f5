import type { Corpus } from "./corpora.ts";
import { createFeatureBuffer, extractFeatures } from "./features.ts";
import { featureFingerprint } from "./fingerprint.ts";
import { FtrlLogistic, shuffledOrder, type FtrlParams } from "./ftrl.ts";
import type { Language } from "./language.ts";
import { serializeModel, type ModelInfo } from "./model.ts";
import { prepareText } from "./prepare.ts";

/** Fixed training settings: part of what makes a run reproducible. */
export const defaultTrainOptions = {
  bits: 19,
  epochs: 15,
  seed: 20240611,
  polarity: { alpha: 1, beta: 1, l1: 0.2, l2: 1 } satisfies FtrlParams,
  neutral: { alpha: 0.5, beta: 1, l1: 0.3, l2: 1 } satisfies FtrlParams,
};
export type TrainOptions = typeof defaultTrainOptions;

const langSlots: Record<Exclude<Language, "other">, number> = { zh: 0, en: 1 };

/** Every example's features in one compressed-sparse-row store. */
interface FeatureStore {
  idx: Int32Array;
  val: Float32Array;
  start: number[];
  lang: number[];
  corpus: number[];
  label: (0 | 1 | 2)[];
}

function featurize(corpora: readonly Corpus[], bits: number, log: (line: string) => void): FeatureStore {
  let idx = new Int32Array(1 << 22);
  let val = new Float32Array(1 << 22);
  const store: FeatureStore = { idx, val, start: [0], lang: [], corpus: [], label: [] };
  const buf = createFeatureBuffer();
  let used = 0;
  corpora.forEach((corpus, c) => {
    let kept = 0;
    for (const ex of corpus.examples) {
      const p = prepareText(ex.text);
      if (p.lang === "other") continue;
      const n = extractFeatures(p, bits, buf);
      if (used + n > idx.length) {
        const bigger = new Int32Array(idx.length * 2);
        bigger.set(idx);
        idx = bigger;
        const biggerVal = new Float32Array(val.length * 2);
        biggerVal.set(val);
        val = biggerVal;
      }
      idx.set(buf.idx.subarray(0, n), used);
      val.set(buf.val.subarray(0, n), used);
      used += n;
      store.start.push(used);
      store.lang.push(langSlots[p.lang]);
      store.corpus.push(c);
      store.label.push(ex.label === "neutral" ? 2 : ex.label);
      kept++;
    }
    log(`  ${corpus.name}: ${kept} examples${corpus.skipped ? ` (${corpus.skipped} unreadable lines skipped)` : ""}`);
  });
  store.idx = idx;
  store.val = val;
  return store;
}

/**
 * Per-example weights for one task: within each corpus the two classes weigh the same in total
 * (corpora are 20-80% positive, and that prior says nothing about a new text). Examples outside
 * the task get weight 0, as do corpora that lack one of the two classes.
 */
function balancedWeights(store: FeatureStore, target: (label: 0 | 1 | 2) => 0 | 1 | null): Float64Array {
  const counts = new Map<number, [number, number]>();
  store.label.forEach((l, i) => {
    const y = target(l);
    if (y === null) return;
    const c = counts.get(store.corpus[i]!) ?? [0, 0];
    c[y]++;
    counts.set(store.corpus[i]!, c);
  });
  const w = new Float64Array(store.label.length);
  store.label.forEach((l, i) => {
    const y = target(l);
    const c = counts.get(store.corpus[i]!);
    if (y === null || !c || c[0] === 0 || c[1] === 0) return;
    w[i] = (c[0] + c[1]) / (2 * c[y]);
  });
  return w;
}

/**
 * Per-example weights for the neutral task: the polar examples of a language (from any corpus,
 * so review praise such as 好用 is learnt as polar; those from corpora without neutral rows count
 * a quarter, so they do not drown the neutral-vs-polar contrast within the same source) against
 * that language's neutral examples, the two classes weighing the same in total. A language
 * without neutral examples gets none.
 */
function languageBalancedWeights(store: FeatureStore): Float64Array {
  const OTHER_SOURCE_POLAR = 0.25;
  const hasNeutral = new Set<number>();
  store.label.forEach((l, i) => {
    if (l === 2) hasNeutral.add(store.corpus[i]!);
  });
  const raw = new Float64Array(store.label.length);
  const totals = new Map<number, [number, number]>();
  store.label.forEach((l, i) => {
    const y = l === 2 ? 1 : 0;
    raw[i] = y === 1 || hasNeutral.has(store.corpus[i]!) ? 1 : OTHER_SOURCE_POLAR;
    const t = totals.get(store.lang[i]!) ?? [0, 0];
    t[y] += raw[i]!;
    totals.set(store.lang[i]!, t);
  });
  const w = new Float64Array(store.label.length);
  store.label.forEach((l, i) => {
    const t = totals.get(store.lang[i]!)!;
    if (t[0] === 0 || t[1] === 0) return;
    const y = l === 2 ? 1 : 0;
    w[i] = (raw[i]! * (t[0] + t[1])) / (2 * t[y]);
  });
  return w;
}

function trainTask(
  store: FeatureStore,
  weights: Float64Array,
  target: (label: 0 | 1 | 2) => 0 | 1 | null,
  params: FtrlParams,
  options: TrainOptions,
  salt: number,
): { bias: Partial<Record<Language, number>>; weights: Float64Array } {
  const model = new FtrlLogistic(1 << options.bits, 2, params);
  const trained = new Set<number>();
  const n = store.label.length;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = shuffledOrder(n, options.seed + salt * 1000 + epoch);
    for (const i of order) {
      const y = target(store.label[i]!);
      const w = weights[i]!;
      if (y === null || w === 0) continue;
      trained.add(store.lang[i]!);
      model.update(store.idx, store.val, store.start[i]!, store.start[i + 1]!, store.lang[i]!, y, w);
    }
  }
  const biases = model.biases();
  const bias: Partial<Record<Language, number>> = {};
  for (const [lang, slot] of Object.entries(langSlots) as [Language, number][]) {
    if (trained.has(slot)) bias[lang] = biases[slot]!;
  }
  return { bias, weights: model.weights() };
}

/**
 * Trains the polarity and neutral tasks on the given corpora and returns the model file's bytes.
 * Deterministic: the same corpora (in the same order) and options give byte-identical output.
 */
export function trainModel(
  corpora: readonly Corpus[],
  options: TrainOptions = defaultTrainOptions,
  log: (line: string) => void = () => {},
): Buffer {
  log("Extracting features:");
  const store = featurize(corpora, options.bits, log);
  const polarityTarget = (l: 0 | 1 | 2) => (l === 2 ? null : l);
  const neutralTarget = (l: 0 | 1 | 2) => (l === 2 ? 1 : 0);
  log(`Training polarity (${options.epochs} epochs)…`);
  const polarity = trainTask(store, balancedWeights(store, polarityTarget), polarityTarget, options.polarity, options, 1);
  log(`Training neutral vs polar (${options.epochs} epochs)…`);
  const neutral = trainTask(store, languageBalancedWeights(store), neutralTarget, options.neutral, options, 2);

  const trainedOn = corpora.map((c, ci) => {
    let examples = 0;
    let neutralCount = 0;
    let zh = 0;
    store.corpus.forEach((k, i) => {
      if (k !== ci) return;
      examples++;
      if (store.label[i] === 2) neutralCount++;
      if (store.lang[i] === langSlots.zh) zh++;
    });
    return { name: c.name, lang: zh * 2 >= examples ? "zh" : "en", examples, neutral: neutralCount };
  });
  const info: ModelInfo = {
    format: 1,
    bits: options.bits,
    featureFingerprint: featureFingerprint(),
    trainedOn,
    hyperparameters: {
      epochs: options.epochs,
      seed: options.seed,
      ...Object.fromEntries(Object.entries(options.polarity).map(([k, v]) => [`polarity_${k}`, v])),
      ...Object.fromEntries(Object.entries(options.neutral).map(([k, v]) => [`neutral_${k}`, v])),
    },
  };
  return serializeModel(info, { polarity, neutral });
}
