import { detectLanguage, type Language } from "./language.ts";
import { cleanText, toSimplified } from "./normalize.ts";
import { tokenizeEn, tokenizeZh, type Tokens } from "./tokenize.ts";

/** A text made ready for features and complaint cues: cleaned, simplified, lower-cased, tokenised. */
export interface PreparedText extends Tokens {
  lang: Language;
  /** Cleaned, lower-cased, and for zh converted to simplified. */
  text: string;
}

/** Runs every text-level step once; both the sentiment model and the complaint cues read the result. */
export function prepareText(raw: unknown): PreparedText {
  const cleaned = cleanText(raw);
  const lang = detectLanguage(cleaned);
  if (lang === "zh") {
    const text = toSimplified(cleaned).toLowerCase();
    return { lang, text, ...tokenizeZh(text) };
  }
  const text = cleaned.toLowerCase();
  if (lang === "en") return { lang, text, ...tokenizeEn(text) };
  return { lang, text, tokens: [], negated: new Uint8Array(0) };
}
