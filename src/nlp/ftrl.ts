/**
 * Logistic regression trained with FTRL-Proximal (McMahan et al., 2013): per-coordinate learning
 * rates suit hashed sparse features, and the L1 term leaves most weights exactly zero, which keeps
 * the stored model small. Pure arithmetic on doubles in a fixed order, so a run is reproducible.
 */
import { seededRandom } from "../random.ts";
export interface FtrlParams {
  alpha: number;
  beta: number;
  l1: number;
  l2: number;
}

export class FtrlLogistic {
  private readonly z: Float64Array;
  private readonly nsq: Float64Array;
  private readonly biasZ: Float64Array;
  private readonly biasN: Float64Array;

  constructor(
    size: number,
    biasSlots: number,
    private readonly params: FtrlParams,
  ) {
    this.z = new Float64Array(size);
    this.nsq = new Float64Array(size);
    this.biasZ = new Float64Array(biasSlots);
    this.biasN = new Float64Array(biasSlots);
  }

  private weight(i: number): number {
    const z = this.z[i]!;
    const { alpha, beta, l1, l2 } = this.params;
    if (Math.abs(z) <= l1) return 0;
    return -(z - Math.sign(z) * l1) / ((beta + Math.sqrt(this.nsq[i]!)) / alpha + l2);
  }

  private biasWeight(b: number): number {
    const { alpha, beta } = this.params;
    return -this.biasZ[b]! / ((beta + Math.sqrt(this.biasN[b]!)) / alpha);
  }

  /** One online step on one example: x given as parallel index/value arrays [from, to). */
  update(idx: Int32Array, val: Float32Array, from: number, to: number, bias: number, y: number, sampleWeight: number): void {
    let zsum = this.biasWeight(bias);
    for (let k = from; k < to; k++) zsum += this.weight(idx[k]!) * val[k]!;
    const p = zsum >= 0 ? 1 / (1 + Math.exp(-zsum)) : Math.exp(zsum) / (1 + Math.exp(zsum));
    const err = (p - y) * sampleWeight;
    const alpha = this.params.alpha;
    for (let k = from; k < to; k++) {
      const i = idx[k]!;
      const g = err * val[k]!;
      const n = this.nsq[i]!;
      const sigma = (Math.sqrt(n + g * g) - Math.sqrt(n)) / alpha;
      this.z[i] = this.z[i]! + g - sigma * this.weight(i);
      this.nsq[i] = n + g * g;
    }
    const n = this.biasN[bias]!;
    const sigma = (Math.sqrt(n + err * err) - Math.sqrt(n)) / alpha;
    this.biasZ[bias] = this.biasZ[bias]! + err - sigma * this.biasWeight(bias);
    this.biasN[bias] = n + err * err;
  }

  /** The final weights (zero where L1 cut them). */
  weights(): Float64Array {
    const out = new Float64Array(this.z.length);
    for (let i = 0; i < out.length; i++) out[i] = this.weight(i);
    return out;
  }

  biases(): number[] {
    return Array.from(this.biasZ, (_, b) => this.biasWeight(b));
  }
}


/** Fisher-Yates shuffle of 0..n-1 with a seeded PRNG. */
export function shuffledOrder(n: number, seed: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const rand = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}
