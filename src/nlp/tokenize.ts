import { Jieba } from "@node-rs/jieba";
import { dict } from "@node-rs/jieba/dict.js";
import { createRequire } from "node:module";
import type natural from "natural";
import { zhCues } from "./complaint-cues.ts";
import {
  enDegreeAdverbs,
  enNegators,
  enScopeBreakers,
  zhDegreeAdverbs,
  zhNegativeWords,
  zhNegators,
  zhPositiveWords,
  zhScopeBreakers,
} from "./lexicon.ts";

/**
 * Tokens of one text, with a parallel flag per token: 1 when the token lies inside a negation's
 * scope (没有[闪退], not [bad]). Punctuation tokens are kept, since they end a scope.
 */
export interface Tokens {
  tokens: string[];
  negated: Uint8Array;
}

/** App-world words jieba's stock dictionary splits apart (闪退 → 闪/退): one "word freq" a line. */
export function userDictionaryLines(): string[] {
  const words = new Set<string>([...zhNegativeWords, ...zhPositiveWords, "开屏广告", "自动续费", "卡成ppt", "yyds"]);
  for (const cues of Object.values(zhCues)) for (const w of [...cues.problem, ...cues.topic]) words.add(w);
  return [...words]
    .filter((w) => w.length > 1)
    .sort()
    .map((w) => `${w} 20000 n`);
}

// natural's own index loads every module it has (classifiers, WordNet, ...) and costs ~100 MB of
// memory: take only the two modules scoring needs.
const requireNatural = createRequire(import.meta.url);
const PorterStemmer = requireNatural("natural/lib/natural/stemmers/porter_stemmer.js") as typeof natural.PorterStemmer;
const RegexpTokenizer = requireNatural("natural/lib/natural/tokenizers/regexp_tokenizer.js")
  .RegexpTokenizer as typeof natural.RegexpTokenizer;

let jieba: Jieba | null = null;

/** The one jieba instance of the process, with earshot's user dictionary (loaded on first use). */
export function getJieba(): Jieba {
  if (!jieba) {
    const instance = Jieba.withDict(dict);
    instance.loadDict(Buffer.from(userDictionaryLines().join("\n") + "\n", "utf8"));
    jieba = instance;
  }
  return jieba;
}

/**
 * A word set that first checks a table of the words' first UTF-16 units: most tokens start with
 * a character no listed word starts with, and are rejected without hashing the token string.
 */
export class WordSet {
  private readonly words: Set<string>;
  private readonly first = new Uint8Array(0x10000);

  constructor(words: Iterable<string>) {
    this.words = new Set(words);
    for (const w of this.words) if (w.length > 0) this.first[w.charCodeAt(0)] = 1;
  }

  has(token: string): boolean {
    return this.first[token.charCodeAt(0)] === 1 && this.words.has(token);
  }
}

/**
 * A list of strings to look for inside texts in one pass over the text's UTF-16 units: only at
 * a unit that starts some listed string are the strings starting with it compared.
 */
export class Substrings {
  private readonly byFirst = new Map<number, string[]>();
  private readonly first = new Uint8Array(0x10000);

  constructor(list: readonly string[]) {
    for (const w of list) {
      if (w.length === 0) continue;
      const c = w.charCodeAt(0);
      const starting = this.byFirst.get(c) ?? [];
      starting.push(w);
      this.byFirst.set(c, starting);
      this.first[c] = 1;
    }
  }

  /** True when `text` contains one of the strings. */
  foundIn(text: string): boolean {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.first[c] === 0) continue;
      for (const w of this.byFirst.get(c)!) if (text.startsWith(w, i)) return true;
    }
    return false;
  }
}

const zhNegatorSet = new WordSet(zhNegators);
const zhBreakerSet = new WordSet(zhScopeBreakers);
const zhDegreeSet = new WordSet(zhDegreeAdverbs);
const enNegatorSet = new WordSet(enNegators);
const enBreakerSet = new WordSet(enScopeBreakers);
// English words a negation passes over: degree adverbs and function words ("not at all bad").
const enSkipSet = new WordSet([
  ...enDegreeAdverbs,
  ..."a an the at all to be is are was it this that of for in on my me i you any even".split(" "),
]);
const enShortScope = new WordSet(["no", "without", "nothing", "none", "nobody"]);

const PUNCTUATION = /^[\p{P}\p{S}]+$/u;

// Every printable ASCII character that is not a letter, digit or space is \p{P} or \p{S}.
const ASCII_PUNCTUATION = new Uint8Array(0x80);
for (let c = 0x21; c < 0x7f; c++) {
  if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) ASCII_PUNCTUATION[c] = 1;
}

/** True for a token of punctuation or symbols only; cheap for the common Han and ASCII token. */
export function isPunctuation(token: string): boolean {
  const c = token.charCodeAt(0);
  if ((c >= 0x4e00 && c <= 0x9fff) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)) return false;
  let ascii = true;
  for (let i = 0; i < token.length; i++) {
    const u = token.charCodeAt(i);
    if (u >= 0x80) {
      ascii = false;
      break;
    }
    if (ASCII_PUNCTUATION[u] === 0) return false;
  }
  return ascii ? token.length > 0 : PUNCTUATION.test(token);
}

const noWords = new WordSet([]);

/**
 * Zeroed flag arrays cut from a shared slab: a Uint8Array of more than 64 elements is allocated
 * outside V8's heap, and allocating one per text cost more than marking its negations. A slab
 * stays alive while a text that holds a piece of it does; pieces are never handed out twice.
 */
const SLAB_SIZE = 64 * 1024;
let slab = new Uint8Array(SLAB_SIZE);
let slabUsed = 0;

function zeroedFlags(n: number): Uint8Array {
  if (n > SLAB_SIZE / 8) return new Uint8Array(n);
  if (slabUsed + n > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  const flags = slab.subarray(slabUsed, slabUsed + n);
  slabUsed += n;
  return flags;
}

/** Chinese negation reaches the next two content words (不太好用: 太 is skipped, 好用 is negated). */
const ZH_SCOPE = 2;
/** English negation reaches up to three content words, or the next punctuation, "but" or "and". */
const EN_SCOPE = 3;

/**
 * Marks the words a negation reaches: up to `scope` content words (`shortScope` for the negators
 * listed there, such as "no": "no ads and very fast" negates only "ads"), stopping at
 * punctuation or a contrast word. Degree adverbs and function words are passed over unmarked:
 * marked, they would only learn that negated texts are mostly complaints.
 */
function markNegation(
  tokens: string[],
  negators: WordSet,
  breakers: WordSet,
  skip: WordSet,
  scope: number,
  shortScope: WordSet = noWords,
): Uint8Array {
  const negated = zeroedFlags(tokens.length);
  let left = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (negators.has(t)) {
      // A double negation (不是不好) cancels.
      left = left > 0 ? 0 : shortScope.has(t) ? 1 : scope;
      continue;
    }
    if (left === 0) continue;
    if (breakers.has(t) || isPunctuation(t)) {
      left = 0;
      continue;
    }
    if (skip.has(t)) continue;
    negated[i] = 1;
    left--;
  }
  return negated;
}

function zhTokens(tokens: string[]): Tokens {
  return { tokens, negated: markNegation(tokens, zhNegatorSet, zhBreakerSet, zhDegreeSet, ZH_SCOPE) };
}

/** Segments simplified, lower-cased Chinese (with any English in it) with jieba. */
export function tokenizeZh(text: string): Tokens {
  // Without jieba's HMM for unknown words: 10% faster, and the character bigrams cover them.
  const raw = getJieba().cut(text, false);
  const tokens: string[] = [];
  // cleanText leaves single spaces only, so a whitespace token is " ".
  for (const t of raw) if (t !== " ") tokens.push(t);
  return zhTokens(tokens);
}

/**
 * Segments many cleaned texts with one jieba call: joined by newlines (cleanText leaves none in
 * a text, and jieba always cuts at one), then split at the newline tokens. Same tokens as
 * `tokenizeZh` text by text, with one native call instead of one per text.
 */
export function tokenizeZhMany(texts: readonly string[]): Tokens[] {
  if (texts.length === 1) return [tokenizeZh(texts[0]!)];
  const raw = getJieba().cut(texts.join("\n"), false);
  const out: Tokens[] = [];
  let tokens: string[] = [];
  for (const t of raw) {
    if (t === "\n") {
      out.push(zhTokens(tokens));
      tokens = [];
    } else if (t !== " ") tokens.push(t);
  }
  out.push(zhTokens(tokens));
  return out;
}

// Words with an inner apostrophe stay whole (don't, can't); runs of punctuation are one token.
const enTokenizer = new RegexpTokenizer({ pattern: /[a-z0-9]+(?:'[a-z]+)?|[.,!?;:()]+/g, gaps: false });
const stemCache = new Map<string, string>();
const STEM_CACHE_MAX = 200_000;

/** Porter stem through a cache: natural's stemmer costs about a microsecond a word. */
export function stemEn(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    s = word.includes("'") || word.length <= 3 ? word : PorterStemmer.stem(word);
    if (stemCache.size >= STEM_CACHE_MAX) stemCache.clear();
    stemCache.set(word, s);
  }
  return s;
}

/** Tokenises lower-cased English with natural, negation-marks, then stems (negators stay unstemmed). */
export function tokenizeEn(text: string): Tokens {
  const words = enTokenizer.tokenize(text.replace(/[’‘]/g, "'")) ?? [];
  const negated = markNegation(words, enNegatorSet, enBreakerSet, enSkipSet, EN_SCOPE, enShortScope);
  const tokens = words.map((w) => (enNegatorSet.has(w) || isPunctuation(w) ? w : stemEn(w)));
  return { tokens, negated };
}
