import type { Corpus } from "./corpora.ts";
import { createFeatureBuffer, extractFeatures } from "./features.ts";
import { featureFingerprint } from "./fingerprint.ts";
import { FtrlLogistic, shuffledOrder, type FtrlParams } from "./ftrl.ts";
import type { Language } from "./language.ts";
import { serializeModel, type ModelInfo } from "./model.ts";
import { prepareText } from "./prepare.ts";

/** Fixed training settings: part of what makes a run reproducible. */
export const defaultTrainOptions = {
  bits: 20,
  epochs: 15,
  seed: 20240611,
  polarity: { alpha: 1, beta: 1, l1: 0.05, l2: 0.25 } satisfies FtrlParams,
  neutral: { alpha: 0.5, beta: 1, l1: 0.3, l2: 1 } satisfies FtrlParams,
  /**
   * Polarity features are scaled by |log-count ratio| (NB-SVM, Wang & Manning 2012): words that
   * split the classes in the counts start with more room against the regulariser.
   */
  nbScaling: true,
  /** Each corpus's weight is multiplied by (mean corpus size / its size)^this: small review sets count. */
  corpusBalance: 0.5,
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
function balancedWeights(store: FeatureStore, target: (label: 0 | 1 | 2) => 0 | 1 | null, corpusBalance: number): Float64Array {
  const counts = new Map<number, [number, number]>();
  store.label.forEach((l, i) => {
    const y = target(l);
    if (y === null) return;
    const c = counts.get(store.corpus[i]!) ?? [0, 0];
    c[y]++;
    counts.set(store.corpus[i]!, c);
  });
  let total = 0;
  let corpora = 0;
  for (const c of counts.values()) {
    if (c[0] === 0 || c[1] === 0) continue;
    total += c[0] + c[1];
    corpora++;
  }
  const meanSize = total / Math.max(1, corpora);
  const w = new Float64Array(store.label.length);
  store.label.forEach((l, i) => {
    const y = target(l);
    const c = counts.get(store.corpus[i]!);
    if (y === null || !c || c[0] === 0 || c[1] === 0) return;
    w[i] = ((c[0] + c[1]) / (2 * c[y])) * Math.pow(meanSize / (c[0] + c[1]), corpusBalance);
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

/**
 * |log((p_i / |p|) / (q_i / |q|))| per feature slot, from the weighted counts of each class
 * (add-one smoothed): the NB-SVM scaling.
 */
function logCountRatios(store: FeatureStore, weights: Float64Array, target: (label: 0 | 1 | 2) => 0 | 1 | null, size: number): Float64Array {
  const pos = new Float64Array(size).fill(1);
  const neg = new Float64Array(size).fill(1);
  for (let i = 0; i < store.label.length; i++) {
    const y = target(store.label[i]!);
    const w = weights[i]!;
    if (y === null || w === 0) continue;
    const counts = y === 1 ? pos : neg;
    for (let k = store.start[i]!; k < store.start[i + 1]!; k++) counts[store.idx[k]!]! += w;
  }
  let sumPos = 0;
  let sumNeg = 0;
  for (let i = 0; i < size; i++) {
    sumPos += pos[i]!;
    sumNeg += neg[i]!;
  }
  const r = new Float64Array(size);
  for (let i = 0; i < size; i++) r[i] = Math.abs(Math.log(pos[i]! / sumPos / (neg[i]! / sumNeg)));
  return r;
}

function trainTask(
  store: FeatureStore,
  weights: Float64Array,
  target: (label: 0 | 1 | 2) => 0 | 1 | null,
  params: FtrlParams,
  options: TrainOptions,
  salt: number,
  nbScaling: boolean,
): { bias: Partial<Record<Language, number>>; weights: Float64Array } {
  const model = new FtrlLogistic(1 << options.bits, 2, params);
  const trained = new Set<number>();
  const n = store.label.length;
  // With NB scaling the model learns on x·r; folding r into the weights afterwards gives a plain
  // linear model over x, so scoring needs neither r nor any change.
  const ratios = nbScaling ? logCountRatios(store, weights, target, 1 << options.bits) : null;
  let values = store.val;
  if (ratios) {
    values = new Float32Array(store.start[n]!);
    for (let k = 0; k < values.length; k++) values[k] = store.val[k]! * ratios[store.idx[k]!]!;
  }
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = shuffledOrder(n, options.seed + salt * 1000 + epoch);
    for (const i of order) {
      const y = target(store.label[i]!);
      const w = weights[i]!;
      if (y === null || w === 0) continue;
      trained.add(store.lang[i]!);
      model.update(store.idx, values, store.start[i]!, store.start[i + 1]!, store.lang[i]!, y, w);
    }
  }
  const biases = model.biases();
  const bias: Partial<Record<Language, number>> = {};
  for (const [lang, slot] of Object.entries(langSlots) as [Language, number][]) {
    if (trained.has(slot)) bias[lang] = biases[slot]!;
  }
  const learnt = model.weights();
  if (ratios) for (let i = 0; i < learnt.length; i++) learnt[i] = learnt[i]! * ratios[i]!;
  return { bias, weights: learnt };
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
  const polarity = trainTask(store, balancedWeights(store, polarityTarget, options.corpusBalance), polarityTarget, options.polarity, options, 1, options.nbScaling);
  log(`Training neutral vs polar (${options.epochs} epochs)…`);
  const neutral = trainTask(store, languageBalancedWeights(store), neutralTarget, options.neutral, options, 2, false);

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
      nbScaling: options.nbScaling ? 1 : 0,
      corpusBalance: options.corpusBalance,
      ...Object.fromEntries(Object.entries(options.polarity).map(([k, v]) => [`polarity_${k}`, v])),
      ...Object.fromEntries(Object.entries(options.neutral).map(([k, v]) => [`neutral_${k}`, v])),
    },
  };
  return serializeModel(info, { polarity, neutral });
}
