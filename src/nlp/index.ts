/**
 * The one entry point the pipeline calls to score text. Scoring is synchronous; the model is
 * loaded once per process, on the first call or by calling loadModel() at start. If the model file
 * is missing, sentiment and complaint fields stay null: earshot never stores a fake score.
 */

export type { Language } from "./language.ts";
export { detectLanguage } from "./language.ts";
export type { SentimentLabel, ComplaintCategory } from "./categories.ts";
export { complaintCategories } from "./categories.ts";
export type { TextScore, ScoreInput } from "./score.ts";
export { scoreText, scoreTexts, loadModel, explainText, mentionText } from "./score.ts";
