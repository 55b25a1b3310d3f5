/** Accuracy and macro-F1 of binary predictions (1 positive, 0 negative). */
export function binaryMetrics(gold: readonly number[], predicted: readonly number[]): { accuracy: number; macroF1: number } {
  let correct = 0;
  const tp = [0, 0];
  const fp = [0, 0];
  const fn = [0, 0];
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i]!;
    const p = predicted[i]!;
    if (g === p) {
      correct++;
      tp[g]!++;
    } else {
      fp[p]!++;
      fn[g]!++;
    }
  }
  const f1 = (c: number) => {
    const denom = 2 * tp[c]! + fp[c]! + fn[c]!;
    return denom === 0 ? 0 : (2 * tp[c]!) / denom;
  };
  return { accuracy: gold.length ? correct / gold.length : 0, macroF1: (f1(0) + f1(1)) / 2 };
}

/** Precision and recall of a yes/no decision. */
export function precisionRecall(gold: readonly boolean[], predicted: readonly boolean[]): { precision: number; recall: number; f1: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  gold.forEach((g, i) => {
    const p = predicted[i]!;
    if (g && p) tp++;
    else if (p) fp++;
    else if (g) fn++;
  });
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}
