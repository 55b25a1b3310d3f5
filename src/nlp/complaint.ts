import type { ComplaintCategory, SentimentLabel } from "./categories.ts";
import { categoryPrecedence, enCues, enProductWords, zhCues, zhProductWords, type CueList } from "./complaint-cues.ts";
import type { PreparedText } from "./prepare.ts";

type Category = Exclude<ComplaintCategory, "other">;
type CueKind = "problem" | "topic" | "weak";

interface Cue {
  text: string;
  category: Category | null;
  kind: CueKind | "product";
}

/** A cue found in a text; `negated` when a negation right before it cancels a problem cue. */
export interface CueHit {
  cue: string;
  category: Category | null;
  kind: CueKind | "product";
  negated: boolean;
}

/**
 * Cues indexed by their first UTF-16 unit, longest first, for one left-to-right scan; `starts`
 * marks the units some cue starts with, so most characters are passed over without a map lookup.
 */
interface CueIndex {
  byFirst: Map<number, Cue[]>;
  starts: Uint8Array;
}

function buildIndex(lists: Record<Category, CueList>, productWords: readonly string[]): CueIndex {
  const index: CueIndex = { byFirst: new Map(), starts: new Uint8Array(0x10000) };
  const add = (cue: Cue) => {
    const first = cue.text.charCodeAt(0);
    const list = index.byFirst.get(first) ?? [];
    list.push(cue);
    index.byFirst.set(first, list);
    index.starts[first] = 1;
  };
  for (const category of categoryPrecedence) {
    const l = lists[category];
    for (const text of l.problem) add({ text, category, kind: "problem" });
    for (const text of l.topic) add({ text, category, kind: "topic" });
    for (const text of l.weak ?? []) add({ text, category, kind: "weak" });
  }
  for (const text of productWords) add({ text, category: null, kind: "product" });
  for (const list of index.byFirst.values()) list.sort((a, b) => b.text.length - a.text.length);
  return index;
}

let zhIndex: CueIndex | null = null;
let enIndex: CueIndex | null = null;

const zhNegationChars = new Set(["不", "没", "无", "未", "别", "非"]);
// These between a negation and a cue mean the problem did happen (还没用就闪退).
const zhAffirmChars = new Set(["就", "又", "总", "老", "还", "都"]);
const PUNCT_OR_SPACE = /[\s\p{P}\p{S}]/u;
const enNegationWords = new Set(["not", "no", "never", "without", "nothing", "hardly", "barely", "zero", "any"]);
const WORD_CHAR = /[a-z0-9']/;

function zhNegatedAt(text: string, pos: number): boolean {
  for (let i = pos - 1; i >= 0 && i >= pos - 3; i--) {
    const ch = text[i]!;
    if (PUNCT_OR_SPACE.test(ch) || zhAffirmChars.has(ch)) return false;
    if (zhNegationChars.has(ch)) return true;
  }
  return false;
}

function enNegatedAt(text: string, pos: number): boolean {
  const before = text.slice(Math.max(0, pos - 40), pos);
  const clause = before.split(/[.,!?;:]| but /).pop() ?? "";
  const words = clause.trim().split(/\s+/).slice(-3);
  // "any" only counts in "no/without any": it is listed so "without any lag" is caught.
  return words.some((w) => w !== "any" && (enNegationWords.has(w) || w.endsWith("n't")));
}

/** Every complaint cue and product word in a prepared text, in order of appearance. */
export function findCues(p: PreparedText): CueHit[] {
  if (p.lang === "other") return [];
  const zh = p.lang === "zh";
  const index = zh ? (zhIndex ??= buildIndex(zhCues, zhProductWords)) : (enIndex ??= buildIndex(enCues, enProductWords));
  const t = p.text;
  const hits: CueHit[] = [];
  const { byFirst, starts } = index;
  for (let i = 0; i < t.length; i++) {
    const first = t.charCodeAt(i);
    if (starts[first] === 0) continue;
    const list = byFirst.get(first);
    if (!list) continue;
    // English cues start and end at word boundaries (so "ad" is not found in "add").
    if (!zh && i > 0 && WORD_CHAR.test(t[i - 1]!)) continue;
    for (const cue of list) {
      if (!t.startsWith(cue.text, i)) continue;
      const end = i + cue.text.length;
      if (!zh && end < t.length && /[a-z0-9]/.test(t[end]!)) continue;
      const negatable = cue.kind === "problem" || cue.category === "ads" || cue.category === "performance";
      const negated = negatable && (zh ? zhNegatedAt(t, i) : enNegatedAt(t, i));
      hits.push({ cue: cue.text, category: cue.category, kind: cue.kind, negated });
      i = end - 1;
      break;
    }
  }
  return hits;
}

export interface ComplaintResult {
  complaint: boolean;
  category: ComplaintCategory | null;
}

const cueWeight: Record<CueKind, number> = { problem: 3, topic: 1, weak: 0.5 };

/**
 * A complaint is a negative statement about the product or service: the text must be negative
 * (or name a problem such as 闪退 in a text that is not positive, as in "为什么老是闪退？"), and
 * must be about an app: a star rating (only store reviews have one), a product word, or a
 * category cue that is not ambiguous. The category is the one with the most cue weight, ties
 * going to the more specific problem; "other" when nothing names one.
 */
export function detectComplaint(
  hits: readonly CueHit[],
  sentiment: { label: SentimentLabel; score: number },
  hasRating: boolean,
): ComplaintResult {
  const live = hits.filter((h) => !h.negated);
  const problem = live.some((h) => h.kind === "problem");
  const negative = sentiment.label === "negative" || (problem && sentiment.score < 0.2);
  if (!negative) return { complaint: false, category: null };
  const aboutProduct = hasRating || live.some((h) => h.kind !== "weak");
  if (!aboutProduct) return { complaint: false, category: null };
  const totals = new Map<Category, number>();
  for (const h of live) {
    if (h.category === null || h.kind === "product") continue;
    totals.set(h.category, (totals.get(h.category) ?? 0) + cueWeight[h.kind]);
  }
  let best: Category | null = null;
  let bestWeight = 0;
  for (const c of categoryPrecedence) {
    const w = totals.get(c) ?? 0;
    if (w > bestWeight) {
      best = c;
      bestWeight = w;
    }
  }
  return { complaint: true, category: best ?? "other" };
}
