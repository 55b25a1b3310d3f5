import { neutralPostCues } from "./lexicon.ts";
import type { ComplaintCategory, SentimentLabel } from "./categories.ts";
import { detectComplaint, findCues, type CueHit } from "./complaint.ts";
import { createFeatureBuffer, extractFeatures, type FeatureBuffer } from "./features.ts";
import { featureFingerprint } from "./fingerprint.ts";
import type { Language } from "./language.ts";
import { defaultModelPath, linearScores, readModelFile, sigmoid, type SentimentModel } from "./model.ts";
import { warmUpConverter } from "./normalize.ts";
import { prepareText, prepareTexts, type PreparedText } from "./prepare.ts";
import { getJieba, Substrings } from "./tokenize.ts";

export interface TextScore {
  lang: Language;
  label: SentimentLabel | null;
  /** In [-1, 1]. */
  score: number | null;
  complaint: boolean | null;
  category: ComplaintCategory | null;
}

export interface ScoreInput {
  text: string;
  /** Star rating where the source has one (1-5). */
  rating?: number | null;
}

/** |score| below this is neutral: questions, announcements, giveaways, plain reposts. */
export const NEUTRAL_BAND = 0.2;
/** How much a star rating counts against the text's own score. */
const RATING_WEIGHT = 0.5;
/** A question, giveaway or announcement without polar words keeps this share of its score. */
const QUESTION_DAMPING = 0.2;
/** A sarcasm cue (呵呵, "thanks for nothing") makes a text at least this negative. */
const SARCASM_SCORE = -0.4;

const neutralPost = new Substrings(neutralPostCues);

let model: SentimentModel | null | undefined;
const buffer = createFeatureBuffer();

/**
 * Loads the sentiment model (and jieba's dictionaries) once for the process; later calls return
 * the same model. Returns null, after saying so once on stderr, when the model file is missing:
 * scores then stay null rather than being guessed.
 */
export function loadModel(path: string = defaultModelPath): SentimentModel | null {
  if (model !== undefined) return model;
  getJieba();
  warmUpConverter();
  model = readModelFile(path);
  if (!model) {
    process.stderr.write(`earshot: no sentiment model at ${path}; sentiment and complaint stay empty until \`earshot train\` writes one\n`);
  } else if (model.info.featureFingerprint !== featureFingerprint()) {
    process.stderr.write("earshot: the sentiment model was trained with other word lists than this version has; run `earshot train`\n");
  }
  return model;
}

/** Replaces the process's model (tests, and `earshot train` checking what it wrote). */
export function useModel(m: SentimentModel | null): void {
  model = m;
}

function validRating(rating: number | null | undefined): number | null {
  if (typeof rating !== "number" || !Number.isFinite(rating)) return null;
  return Math.min(5, Math.max(1, rating));
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000 || 0;
}

export interface ScoreDetail extends TextScore {
  prepared: PreparedText;
  /** Positive-vs-negative probability as 2p-1, before neutrality and rating. */
  polarity: number;
  /** Probability the text is neutral (0 when the model has no neutral task for the language). */
  neutral: number;
  sarcasm: boolean;
  cues: CueHit[];
}

/** Scores one text and keeps the intermediate values (for --explain and the bench). */
export function scoreDetailed(input: ScoreInput, buf = buffer): ScoreDetail {
  const m = loadModel();
  return scorePrepared(m, prepareText(input?.text), input?.rating, buf);
}

function scorePrepared(m: SentimentModel | null, prepared: PreparedText, rawRating: number | null | undefined, buf: FeatureBuffer): ScoreDetail {
  const rating = validRating(rawRating);
  if (!m) return { prepared, polarity: 0, neutral: 0, sarcasm: false, cues: [], lang: prepared.lang, label: null, score: null, complaint: null, category: null };
  if (prepared.lang === "other") {
    return { prepared, polarity: 0, neutral: 0, sarcasm: false, cues: [], lang: prepared.lang, label: "neutral", score: 0, complaint: false, category: null };
  }
  const n = extractFeatures(prepared, m.info.bits, buf);
  const z = linearScores(m, prepared.lang, buf.idx, buf.val, n);
  const polarity = z.polarity === null ? 0 : 2 * sigmoid(z.polarity) - 1;
  const neutral = z.neutral === null ? 0 : sigmoid(z.neutral);
  let score = polarity * (1 - neutral);
  const { sarcasm, question, lexicon, positiveOnly } = buf.signals;
  // Review corpora teach that questions are complaints ("why does it crash?"); a question with
  // no polar word in it is asking something, and the problem cues below still catch the rest.
  if (lexicon === 0 && (question || neutralPost.foundIn(prepared.text))) score *= QUESTION_DAMPING;
  // App-world words the corpora never saw (闪退) are known only to the lexicon: when it finds
  // nothing but praise and negated problems (从来没有闪退过, never crashes), the corpus-learnt
  // complaint context (用了半年, 从来) does not make the text negative.
  if (positiveOnly && score < 0) score *= QUESTION_DAMPING;
  if (neutral >= 0.5) score *= 1 - neutral;
  if (sarcasm) score = Math.min(score, SARCASM_SCORE);
  if (rating !== null) score = (1 - RATING_WEIGHT) * score + RATING_WEIGHT * ((rating - 3) / 2);
  score = round3(score);
  const label: SentimentLabel = score <= -NEUTRAL_BAND ? "negative" : score >= NEUTRAL_BAND ? "positive" : "neutral";
  const cues = score < 0.2 ? findCues(prepared) : [];
  const { complaint, category } = detectComplaint(cues, { label, score }, rating !== null);
  return { prepared, polarity, neutral, sarcasm, cues, lang: prepared.lang, label, score, complaint, category };
}

/** Scores one text: language, sentiment in [-1, 1] with its label, and complaint with category. */
export function scoreText(input: ScoreInput): TextScore {
  return publicScore(scoreDetailed(input));
}

function publicScore(d: ScoreDetail): TextScore {
  return { lang: d.lang, label: d.label, score: d.score, complaint: d.complaint, category: d.category };
}

/** Scores many texts in order; the Chinese ones are segmented together (see `tokenizeZhMany`). */
export function scoreTexts(inputs: readonly ScoreInput[]): TextScore[] {
  const m = loadModel();
  const prepared = prepareTexts(inputs.map((i) => i?.text));
  return prepared.map((p, k) => publicScore(scorePrepared(m, p, inputs[k]?.rating, buffer)));
}

export interface Explanation {
  polarity: number;
  neutral: number;
  sarcasm: boolean;
  /** The features that pushed the polarity most, strongest first: name and contribution. */
  features: { feature: string; weight: number }[];
  cues: string[];
}

/** Why a text scored as it did: the strongest polarity features and the complaint cues found. */
export function explainText(input: ScoreInput, top = 6): Explanation {
  const buf = createFeatureBuffer(true);
  const d = scoreDetailed(input, buf);
  const m = loadModel();
  const contributions = new Map<string, number>();
  if (m && d.lang !== "other") {
    for (let i = 0; i < buf.n; i++) {
      const name = buf.names![i]!;
      contributions.set(name, (contributions.get(name) ?? 0) + m.weights[buf.idx[i]! << 1]! * m.polarityScale * buf.val[i]!);
    }
  }
  const features = [...contributions]
    .filter(([, w]) => w !== 0)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || (a[0] < b[0] ? -1 : 1))
    .slice(0, top)
    .map(([feature, weight]) => ({ feature, weight: round3(weight) }));
  const cues = d.cues.map((h) => `${h.negated ? "¬" : ""}${h.cue}${h.category ? `(${h.category})` : ""}`);
  return { polarity: round3(d.polarity), neutral: round3(d.neutral), sarcasm: d.sarcasm, features, cues };
}

/** The text a mention is scored on: its title (forum threads have one) and its body. */
export function mentionText(title: string | null | undefined, text: string): string {
  return title && title.trim() !== "" ? `${title}\n${text}` : text;
}
