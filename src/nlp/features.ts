import type { Language } from "./language.ts";
import {
  enDegreeAdverbs,
  enNegativeWords,
  enNegators,
  enPositiveWords,
  enSarcasmCues,
  enSuggestionCues,
  enValenceWords,
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
import { isPunctuation, stemEn, Substrings } from "./tokenize.ts";

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

// One lookup per token gives every lexicon class the token belongs to.
const POS = 1;
const NEG = 2;
const DEGREE = 4;
const NEGATOR = 8;

/** Lexicon classes of words, with a table of first UTF-16 units that rejects most tokens at once. */
class WordClasses {
  private readonly classes = new Map<string, number>();
  private readonly first = new Uint8Array(0x10000);

  constructor(lists: [readonly string[], number][]) {
    for (const [words, flag] of lists) {
      for (const w of words) {
        if (w.length === 0) continue;
        this.classes.set(w, (this.classes.get(w) ?? 0) | flag);
        this.first[w.charCodeAt(0)] = 1;
      }
    }
  }

  of(token: string): number {
    return this.first[token.charCodeAt(0)] === 1 ? (this.classes.get(token) ?? 0) : 0;
  }
}

const zhClasses = new WordClasses([
  [zhPositiveWords, POS],
  [zhNegativeWords, NEG],
  [zhDegreeAdverbs, DEGREE],
  [zhNegators, NEGATOR],
]);
/** An AFINN word counts as a lexicon word from this valence on (of −5…+5): mild words such as "want" do not. */
const VALENCE_MIN = 2;

/**
 * Porter stems whose mean AFINN valence (over the words sharing the stem) is at least
 * VALENCE_MIN positive or negative, leaving out stems the app-world lists already classify.
 */
function valenceStems(): { positive: string[]; negative: string[] } {
  const sums = new Map<string, [number, number]>();
  for (const [word, valence] of enValenceWords) {
    const stem = stemEn(word);
    const s = sums.get(stem) ?? [0, 0];
    s[0] += valence;
    s[1]++;
    sums.set(stem, s);
  }
  const listed = new Set([...enPositiveWords, ...enNegativeWords].map(stemEn));
  const positive: string[] = [];
  const negative: string[] = [];
  for (const [stem, [total, n]] of sums) {
    if (listed.has(stem)) continue;
    if (total / n >= VALENCE_MIN) positive.push(stem);
    else if (total / n <= -VALENCE_MIN) negative.push(stem);
  }
  return { positive, negative };
}

const valence = valenceStems();
const enClasses = new WordClasses([
  [enPositiveWords.map(stemEn), POS],
  [enNegativeWords.map(stemEn), NEG],
  [valence.positive, POS],
  [valence.negative, NEG],
  [enDegreeAdverbs, DEGREE],
  [enNegators, NEGATOR],
]);
const posEmoji = new Set(positiveEmoji);
const negEmoji = new Set(negativeEmoji);

const EMOJI = /\p{Extended_Pictographic}/gu;
const WEIBO_EMOTICON = /\[[^\[\]\s]{1,6}\]/g;
const MAYBE_EMOJI = /[\u2190-\u2bff\ud83c-\ud83e]/;

/**
 * 1 for the characters that make Chinese character n-grams: Han, but not a negation character.
 * Negation is the word features' job (they mark its scope): a character n-gram such as 没有 or
 * 都不 would only learn that negated texts are mostly complaints.
 */
const NGRAM_CHAR = new Uint8Array(0x10000);
NGRAM_CHAR.fill(1, 0x3400, 0xa000);
for (const c of "不没无未别非") NGRAM_CHAR[c.charCodeAt(0)] = 0;

function push(buf: FeatureBuffer, h: number, v: number, mask: number, name: string | null): void {
  if (buf.n >= buf.idx.length) return;
  buf.idx[buf.n] = h & mask;
  buf.val[buf.n] = v;
  if (buf.names && name !== null) buf.names.push(name);
  buf.n++;
}

/** Lexicon-class feature names, also used by --explain and the complaint logic. */
export const classFeatures = ["lex+", "lex-", "emoji+", "emoji-", "sarcasm", "question", "exclaim", "suggest"] as const;
type ClassFeature = (typeof classFeatures)[number];
type ClassHashes = Record<ClassFeature, number>;

// A class feature's hash depends only on the language: hashed once rather than for every text.
const classHashes: Record<"zh" | "en", ClassHashes> = {
  zh: Object.fromEntries(classFeatures.map((name) => [name, hashInto(seeds.zh.x, name)])) as ClassHashes,
  en: Object.fromEntries(classFeatures.map((name) => [name, hashInto(seeds.en.x, name)])) as ClassHashes,
};

/** A lexicon-class feature (only when present), capped so one long rant does not dominate. */
function pushClass(buf: FeatureBuffer, hashes: ClassHashes, name: ClassFeature, v: number, mask: number): void {
  if (v !== 0) push(buf, hashes[name], Math.min(v, 3), mask, buf.names ? name : null);
}

/** How many of the phrases occur in the text (each counted once). */
function countCues(cues: readonly string[], text: string): number {
  let n = 0;
  for (const c of cues) if (text.includes(c)) n++;
  return n;
}

const zhSarcasm = new Substrings(zhSarcasmCues);
const enSarcasm = new Substrings(enSarcasmCues);
const zhQuestion = new Substrings(zhQuestionWords);

/** Whether a prepared (simplified, lower-cased) text holds a sarcasm cue. */
export function hasSarcasmCue(p: PreparedText): boolean {
  return (p.lang === "zh" ? zhSarcasm : enSarcasm).foundIn(p.text);
}

function isQuestion(p: PreparedText): boolean {
  const t = p.text;
  if (!t.includes("?") && !t.includes("？")) return false;
  if (p.lang !== "zh") return true;
  if (zhQuestion.foundIn(t)) return true;
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
  const ch = classHashes[p.lang];
  const named = buf.names !== null;
  const { tokens, negated } = p;

  let prev: string | null = null;
  let prevHash = 0;
  let lexPos = 0;
  let lexNeg = 0;
  let boost = 1;
  const classes = p.lang === "zh" ? zhClasses : enClasses;
  for (let i = 0; i < tokens.length; i++) {
    const raw = tokens[i]!;
    if (isPunctuation(raw)) {
      // Only ! and ? runs carry sentiment; every punctuation mark breaks the bigram chain.
      if (raw.includes("!") || raw.includes("?")) push(buf, hashInto(s.w, raw[0]!), 1, mask, named ? `w:${raw[0]}` : null);
      prev = null;
      continue;
    }
    const neg = negated[i] === 1;
    const cls = classes.of(raw);
    const h = hashInto(neg ? s.nw : s.w, raw);
    const t = named && neg ? `¬${raw}` : raw;
    // A negator is left to its bigram and the words it marks: alone, "not" and "no" only learn
    // that complaints are full of them, which then outweighs "not bad".
    // A bigram's hash mixes the two unigram hashes: no string is built or hashed twice.
    if (named || buf.n + 2 > CAPACITY) {
      if ((cls & NEGATOR) === 0) push(buf, h, 1, mask, named ? `w:${t}` : null);
      if (prev !== null) push(buf, Math.imul(Math.imul(s.b ^ prevHash, FNV_PRIME) ^ h, FNV_PRIME), 1, mask, named ? `b:${prev}|${t}` : null);
    } else {
      // Unnamed, only the indices are written: the values are all set when the sparse part is scaled.
      let n = buf.n;
      if ((cls & NEGATOR) === 0) buf.idx[n++] = h & mask;
      if (prev !== null) buf.idx[n++] = Math.imul(Math.imul(s.b ^ prevHash, FNV_PRIME) ^ h, FNV_PRIME) & mask;
      buf.n = n;
    }
    prev = t;
    prevHash = h;
    if ((cls & POS) !== 0) (neg ? (lexNeg += boost) : (lexPos += boost));
    else if ((cls & NEG) !== 0) (neg ? (lexPos += boost) : (lexNeg += boost));
    boost = (cls & DEGREE) !== 0 ? 1.5 : 1;
  }

  if (p.lang === "zh") {
    const t = p.text;
    const len = t.length;
    const c0 = s.c;
    let b = len > 0 ? t.charCodeAt(0) : 0;
    let c = len > 1 ? t.charCodeAt(1) : 0;
    for (let i = 0; i + 1 < len; i++) {
      const a = b;
      b = c;
      c = i + 2 < len ? t.charCodeAt(i + 2) : 0;
      if (NGRAM_CHAR[a] === 0 || NGRAM_CHAR[b] === 0) continue;
      const h = Math.imul(Math.imul(c0 ^ a, FNV_PRIME) ^ b, FNV_PRIME);
      if (named) {
        push(buf, h, 1, mask, `c:${t[i]}${t[i + 1]}`);
        if (NGRAM_CHAR[c] === 1) push(buf, Math.imul(h ^ c, FNV_PRIME), 1, mask, `c:${t.slice(i, i + 3)}`);
        continue;
      }
      // The unnamed path is the hot one: every Chinese text writes about two n-grams a character.
      let n = buf.n;
      if (n + 2 > CAPACITY) {
        push(buf, h, 1, mask, null);
        if (NGRAM_CHAR[c] === 1) push(buf, Math.imul(h ^ c, FNV_PRIME), 1, mask, null);
        continue;
      }
      buf.idx[n++] = h & mask;
      if (NGRAM_CHAR[c] === 1) buf.idx[n++] = Math.imul(h ^ c, FNV_PRIME) & mask;
      buf.n = n;
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
    buf.val.fill(1 / Math.sqrt(buf.n), 0, buf.n);
  }
  if (p.lang === "en") pushClass(buf, ch, "suggest", countCues(enSuggestionCues, p.text), mask);
  pushClass(buf, ch, "lex+", lexPos, mask);
  pushClass(buf, ch, "lex-", lexNeg, mask);
  pushClass(buf, ch, "emoji+", emojiPos, mask);
  pushClass(buf, ch, "emoji-", emojiNeg, mask);
  const sarcasm = hasSarcasmCue(p);
  const question = isQuestion(p);
  pushClass(buf, ch, "sarcasm", sarcasm ? 1 : 0, mask);
  pushClass(buf, ch, "question", question ? 1 : 0, mask);
  buf.signals.lexicon = lexPos + lexNeg + emojiPos + emojiNeg;
  buf.signals.positiveOnly = lexPos + emojiPos > 0 && lexNeg + emojiNeg === 0;
  buf.signals.question = question;
  buf.signals.sarcasm = sarcasm;
  pushClass(buf, ch, "exclaim", p.text.includes("!!") ? 1 : 0, mask);
  return buf.n;
}
