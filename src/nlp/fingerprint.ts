import { createHash } from "node:crypto";
import { zhCues } from "./complaint-cues.ts";
import * as lexicon from "./lexicon.ts";
import { userDictionaryLines } from "./tokenize.ts";

/**
 * Bump when the feature code changes in a way the word lists do not show (a new family, a
 * different scaling): a model trained before then no longer matches what scoring computes.
 */
export const FEATURE_CODE_VERSION = 5;

/**
 * A short hash of everything that defines the features; stored in the model file. The lists are
 * named one by one (not the module object, whose keys a test runner may reorder or extend).
 */
export function featureFingerprint(): string {
  const lists: [string, readonly string[]][] = [
    ["zhNegators", lexicon.zhNegators],
    ["zhScopeBreakers", lexicon.zhScopeBreakers],
    ["zhDegreeAdverbs", lexicon.zhDegreeAdverbs],
    ["enNegators", lexicon.enNegators],
    ["enScopeBreakers", lexicon.enScopeBreakers],
    ["enDegreeAdverbs", lexicon.enDegreeAdverbs],
    ["zhNegativeWords", lexicon.zhNegativeWords],
    ["zhPositiveWords", lexicon.zhPositiveWords],
    ["enNegativeWords", lexicon.enNegativeWords],
    ["enPositiveWords", lexicon.enPositiveWords],
    ["enValenceWords", lexicon.enValenceWords.map(([w, v]) => `${w}:${v}`)],
    ["zhSarcasmCues", lexicon.zhSarcasmCues],
    ["enSarcasmCues", lexicon.enSarcasmCues],
    ["enSuggestionCues", lexicon.enSuggestionCues],
    ["positiveEmoji", lexicon.positiveEmoji],
    ["negativeEmoji", lexicon.negativeEmoji],
    ["zhQuestionWords", lexicon.zhQuestionWords],
    ["userDictionary", userDictionaryLines()],
  ];
  const h = createHash("sha256");
  h.update(`v${FEATURE_CODE_VERSION}\n`);
  for (const [name, list] of lists) h.update(`${name}:${list.join("\u0001")}\n`);
  return h.digest("hex").slice(0, 16);
}
