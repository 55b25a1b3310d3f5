import { createHash } from "node:crypto";

/**
 * Content identity for reposts: an exact fingerprint of the normalised text and a 64-bit SimHash
 * for near-duplicates (a repost with "//@someone:" in front, a changed emoji, a trailing link).
 */

const URL_RE = /https?:\/\/\S+|www\.\S+/gi;
// Repost furniture that carries no content of its own: Weibo's "//@name:" chains and "转发微博",
// @handles, and a leading "RT"/"Repost"/"转发".
const REPOST_RE = /\/\/@[^:：\s]{1,30}[:：]|@[\p{L}\p{N}_-]{1,30}|转发微博|^\s*(?:rt|repost|转发)\b[:：]?/giu;
// Letters and digits of any script survive; punctuation, symbols, emoji and spaces do not.
const NOISE_RE = /[^\p{L}\p{N}]+/gu;

/** Lower-cased, NFKC-folded text with links, punctuation, emoji and spacing removed. */
export function canonicalText(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(URL_RE, " ").replace(REPOST_RE, " ").replace(NOISE_RE, "");
}

export function fingerprint(canonical: string): string {
  return createHash("sha256").update(canonical).digest("hex").slice(0, 32);
}

/** Feature hash: FNV-1a over the UTF-16 code units, two seeds for 64 bits. */
function hash32(s: string, start: number, end: number, seed: number): number {
  let h = seed;
  for (let i = start; i < end; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche (murmur3 fmix) so similar shingles spread over all bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const SHINGLE = 3;
// Per-bit counters, bit-sliced: planes[k] holds bit k of the 32 counters of one 32-bit half, so
// adding a hash costs a short carry chain instead of 64 separate counter updates (SimHash was the
// slowest step of normalising a mention).
const MAX_PLANES = 32;
const loPlanes = new Int32Array(MAX_PLANES);
const hiPlanes = new Int32Array(MAX_PLANES);

function addToPlanes(planes: Int32Array, word: number): void {
  let carry = word;
  for (let k = 0; carry !== 0; k++) {
    const p = planes[k]!;
    planes[k] = p ^ carry;
    carry &= p;
  }
}

/** Bit b is set where more than half of the n added words had bit b set. */
function majority(planes: Int32Array, n: number): number {
  const used = 32 - Math.clz32(n);
  let out = 0;
  for (let b = 0; b < 32; b++) {
    let count = 0;
    for (let k = 0; k < used; k++) count += ((planes[k]! >>> b) & 1) << k;
    if (2 * count > n) out |= 1 << b;
  }
  return out;
}

/**
 * 64-bit SimHash over character 3-grams of the canonical text (works the same for Chinese,
 * which has no spaces, and for English). Returned as a signed 64-bit bigint, as Postgres stores it.
 */
export function simhash(canonical: string): bigint {
  const n = canonical.length;
  const last = Math.max(1, n - SHINGLE + 1);
  const used = 32 - Math.clz32(last);
  loPlanes.fill(0, 0, used);
  hiPlanes.fill(0, 0, used);
  for (let i = 0; i < last; i++) {
    const end = Math.min(n, i + SHINGLE);
    addToPlanes(loPlanes, hash32(canonical, i, end, 0x811c9dc5));
    addToPlanes(hiPlanes, hash32(canonical, i, end, 0x9747b28c));
  }
  const lo = majority(loPlanes, last);
  const hi = majority(hiPlanes, last);
  return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
}

/** The four 16-bit bands, offset by band number: two hashes within distance 3 share at least one. */
export function simBands(hash: bigint): number[] {
  const u = BigInt.asUintN(64, hash);
  const bands: number[] = [];
  for (let i = 0; i < 4; i++) bands.push(i * 65536 + Number((u >> BigInt(16 * i)) & 0xffffn));
  return bands;
}

export function hammingDistance(a: bigint, b: bigint): number {
  const x = BigInt.asUintN(64, a ^ b);
  return popcount32(Number(x >> 32n)) + popcount32(Number(x & 0xffffffffn));
}

function popcount32(v: number): number {
  let x = v - ((v >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/**
 * Texts already stored, looked up by SimHash band: a text within distance 3 of another shares at
 * least one band with it, so each lookup compares against a handful of entries, not all of them.
 */
export class NearDuplicateIndex<T extends { simhash: bigint; fingerprint: string }> {
  private readonly byBand = new Map<number, T[]>();

  add(entry: T): void {
    for (const band of simBands(entry.simhash)) {
      const list = this.byBand.get(band);
      if (list) list.push(entry);
      else this.byBand.set(band, [entry]);
    }
  }

  /** Entries with the same fingerprint or within the near-duplicate distance, each once. */
  *matches(probe: { simhash: bigint; fingerprint: string }): Generator<T> {
    const seen = new Set<T>();
    for (const band of simBands(probe.simhash)) {
      for (const e of this.byBand.get(band) ?? []) {
        if (seen.has(e)) continue;
        seen.add(e);
        if (e.fingerprint === probe.fingerprint || hammingDistance(e.simhash, probe.simhash) <= NEAR_DUPLICATE_DISTANCE) yield e;
      }
    }
  }
}

/** Near-duplicate threshold: SimHash Hamming distance at or under this is the same text. */
export const NEAR_DUPLICATE_DISTANCE = 3;
