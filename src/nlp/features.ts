import type { Language } from "./language.ts";
import {
  enDegreeAdverbs,
  enNegativeWords,
  enNegators,
  enPositiveWords,
  enSarcasmCues,
  negativeEmoji,
  positiveEmoji,
  zhDegreeAdverbs,
  zhNegativeWords,
  zhNegators,
  zhPositiveWords,
  zhQuestionWords,
  zhSarcasmCues,
} from "./lexicon.ts";
import type { PreparedText } from "./prepare.ts";
import { isPunctuation, stemEn, WordSet } from "./tokenize.ts";

/**
 * Hashed sparse features ("the hashing trick"): every feature name is hashed (FNV-1a, seeded by
 * language and family) into a table of 2^bits weights, so the model needs no vocabulary and its
 * size is fixed. Features: word unigrams and bigrams with negation marking, Chinese character
 * bigrams and trigrams, emoji and Weibo emoticons, and a few lexicon-class counts (app-world polar words,
 * emoji polarity, sarcasm cues, question and exclamation marks).
 */
export interface FeatureBuffer {
  idx: Int32Array;
  val: Float32Array;
  n: number;
  /** Filled only when explaining: the readable name of each feature. */
  names: string[] | null;
  /** Lexicon evidence of the last text, for the rules that follow the model. */
  signals: { lexicon: number; positiveOnly: boolean; question: boolean; sarcasm: boolean };
}

/** Enough room for the longest text we score (2,000 chars → at most ~6,000 features). */
const CAPACITY = 8192;

export function createFeatureBuffer(withNames = false): FeatureBuffer {
  return {
    idx: new Int32Array(CAPACITY),
    val: new Float32Array(CAPACITY),
    n: 0,
    names: withNames ? [] : null,
    signals: { lexicon: 0, positiveOnly: false, question: false, sarcasm: false },
  };
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function hashInto(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

/** Family seeds: the same string in two families (or two languages) hashes apart. */
function seed(lang: Language, family: string): number {
  return hashInto(FNV_OFFSET, `${lang}/${family}/`);
}

// `nw` is the word seed run through "¬": FNV-1a is sequential, so hashing a token from it gives
// the hash of `¬token` without building that string.
const seeds = {
  zh: { w: seed("zh", "w"), nw: hashInto(seed("zh", "w"), "¬"), b: seed("zh", "b"), c: seed("zh", "c"), x: seed("zh", "x") },
  en: { w: seed("en", "w"), nw: hashInto(seed("en", "w"), "¬"), b: seed("en", "b"), c: seed("en", "c"), x: seed("en", "x") },
};

const zhPos = new WordSet(zhPositiveWords);
const zhNeg = new WordSet(zhNegativeWords);
const enPos = new WordSet(enPositiveWords.map(stemEn));
const enNeg = new WordSet(enNegativeWords.map(stemEn));
const zhDegree = new WordSet(zhDegreeAdverbs);
const enDegree = new WordSet(enDegreeAdverbs);
const zhNegatorSet = new WordSet(zhNegators);
const enNegatorSet = new WordSet(enNegators);
const posEmoji = new Set(positiveEmoji);
const negEmoji = new Set(negativeEmoji);

const EMOJI = /\p{Extended_Pictographic}/gu;
const WEIBO_EMOTICON = /\[[^\[\]\s]{1,6}\]/g;
const MAYBE_EMOJI = /[\u2190-\u2bff\ud83c-\ud83e]/;

function isHan(c: number): boolean {
  return c >= 0x3400 && c <= 0x9fff;
}

const NEGATION_CHARS = new Set([..."不没无未别非"].map((c) => c.charCodeAt(0)));
function negationChar(c: number): boolean {
  return NEGATION_CHARS.has(c);
}

function push(buf: FeatureBuffer, h: number, v: number, mask: number, name: string | null): void {
  if (buf.n >= buf.idx.length) return;
  buf.idx[buf.n] = h & mask;
  buf.val[buf.n] = v;
  if (buf.names && name !== null) buf.names.push(name);
  buf.n++;
}

/** Lexicon-class feature names, also used by --explain and the complaint logic. */
export const classFeatures = ["lex+", "lex-", "emoji+", "emoji-", "sarcasm", "question", "exclaim"] as const;

/** The cue strings a text contains (simplified, lower-cased text), for the sarcasm feature. */
export function hasSarcasmCue(p: PreparedText): boolean {
  const cues = p.lang === "zh" ? zhSarcasmCues : enSarcasmCues;
  for (const c of cues) if (p.text.includes(c)) return true;
  return false;
}

function isQuestion(p: PreparedText): boolean {
  const t = p.text;
  if (!/[?？]/.test(t)) return false;
  if (p.lang !== "zh") return true;
  for (const w of zhQuestionWords) if (t.includes(w)) return true;
  return /[?？]\s*$/.test(t);
}

/**
 * Fills `buf` with the hashed features of a prepared text and returns their count. Sparse
 * n-gram features are scaled by 1/sqrt(count) so long reviews do not swamp the bias.
 */
export function extractFeatures(p: PreparedText, bits: number, buf: FeatureBuffer): number {
  buf.n = 0;
  if (buf.names) buf.names.length = 0;
  buf.signals.lexicon = 0;
  buf.signals.positiveOnly = false;
  buf.signals.question = false;
  buf.signals.sarcasm = false;
  if (p.lang === "other") return 0;
  const mask = (1 << bits) - 1;
  const s = seeds[p.lang];
  const named = buf.names !== null;
  const { tokens, negated } = p;

  let prev: string | null = null;
  let prevHash = 0;
  let lexPos = 0;
  let lexNeg = 0;
  let boost = 1;
  const posSet = p.lang === "zh" ? zhPos : enPos;
  const negSet = p.lang === "zh" ? zhNeg : enNeg;
  const degreeSet = p.lang === "zh" ? zhDegree : enDegree;
  const negatorSet = p.lang === "zh" ? zhNegatorSet : enNegatorSet;
  for (let i = 0; i < tokens.length; i++) {
    const raw = tokens[i]!;
    if (isPunctuation(raw)) {
      // Only ! and ? runs carry sentiment; every punctuation mark breaks the bigram chain.
      if (raw.includes("!") || raw.includes("?")) push(buf, hashInto(s.w, raw[0]!), 1, mask, named ? `w:${raw[0]}` : null);
      prev = null;
      continue;
    }
    const neg = negated[i] === 1;
    const h = hashInto(neg ? s.nw : s.w, raw);
    const t = named && neg ? `¬${raw}` : raw;
    // A negator is left to its bigram and the words it marks: alone, "not" and "no" only learn
    // that complaints are full of them, which then outweighs "not bad".
    if (!negatorSet.has(raw)) push(buf, h, 1, mask, named ? `w:${t}` : null);
    // A bigram's hash mixes the two unigram hashes: no string is built or hashed twice.
    if (prev !== null) push(buf, Math.imul(Math.imul(s.b ^ prevHash, FNV_PRIME) ^ h, FNV_PRIME), 1, mask, named ? `b:${prev}|${t}` : null);
    prev = t;
    prevHash = h;
    if (posSet.has(raw)) (neg ? (lexNeg += boost) : (lexPos += boost));
    else if (negSet.has(raw)) (neg ? (lexPos += boost) : (lexNeg += boost));
    boost = degreeSet.has(raw) ? 1.5 : 1;
  }

  if (p.lang === "zh") {
    const t = p.text;
    for (let i = 0; i + 1 < t.length; i++) {
      const a = t.charCodeAt(i);
      const b = t.charCodeAt(i + 1);
      // Negation is the word features' job (they mark its scope): a character n-gram such as
      // 没有 or 都不 would only learn that negated texts are mostly complaints.
      if (!isHan(a) || !isHan(b) || negationChar(a) || negationChar(b)) continue;
      const h = Math.imul(Math.imul(s.c ^ a, FNV_PRIME) ^ b, FNV_PRIME);
      push(buf, h, 1, mask, named ? `c:${t[i]}${t[i + 1]}` : null);
      const c = i + 2 < t.length ? t.charCodeAt(i + 2) : 0;
      if (isHan(c) && !negationChar(c)) push(buf, Math.imul(h ^ c, FNV_PRIME), 1, mask, named ? `c:${t.slice(i, i + 3)}` : null);
    }
  }

  let emojiPos = 0;
  let emojiNeg = 0;
  if (MAYBE_EMOJI.test(p.text)) for (const m of p.text.matchAll(EMOJI)) {
    const e = m[0];
    push(buf, hashInto(s.w, e), 1, mask, named ? `w:${e}` : null);
    if (posEmoji.has(e)) emojiPos++;
    else if (negEmoji.has(e)) emojiNeg++;
  }
  if (p.text.includes("[")) {
    for (const m of p.text.matchAll(WEIBO_EMOTICON)) {
      const e = m[0];
      push(buf, hashInto(s.w, e), 1, mask, named ? `w:${e}` : null);
      if (posEmoji.has(e)) emojiPos++;
      else if (negEmoji.has(e)) emojiNeg++;
    }
  }

  // Scale the sparse part; class features below keep their own magnitudes.
  if (buf.n > 0) {
    const scale = 1 / Math.sqrt(buf.n);
    for (let i = 0; i < buf.n; i++) buf.val[i] = scale;
  }
  const cls = (name: string, v: number) => {
    if (v !== 0) push(buf, hashInto(s.x, name), Math.min(v, 3), mask, named ? name : null);
  };
  cls("lex+", lexPos);
  cls("lex-", lexNeg);
  cls("emoji+", emojiPos);
  cls("emoji-", emojiNeg);
  const sarcasm = hasSarcasmCue(p);
  const question = isQuestion(p);
  cls("sarcasm", sarcasm ? 1 : 0);
  cls("question", question ? 1 : 0);
  buf.signals.lexicon = lexPos + lexNeg + emojiPos + emojiNeg;
  buf.signals.positiveOnly = lexPos + emojiPos > 0 && lexNeg + emojiNeg === 0;
  buf.signals.question = question;
  buf.signals.sarcasm = sarcasm;
  cls("exclaim", /!{2,}/.test(p.text) ? 1 : 0);
  return buf.n;
}
