import { detectLanguage, type Language } from "./language.ts";
import { cleanText, toSimplified } from "./normalize.ts";
import { tokenizeEn, tokenizeZh, tokenizeZhMany, type Tokens } from "./tokenize.ts";

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

const noTokens: string[] = [];
const noFlags = new Uint8Array(0);

/** `prepareText` for many texts, segmenting all the Chinese ones with one jieba call. */
export function prepareTexts(raws: readonly unknown[]): PreparedText[] {
  const out: PreparedText[] = [];
  const zhAt: number[] = [];
  const zhTexts: string[] = [];
  for (const raw of raws) {
    const cleaned = cleanText(raw);
    const lang = detectLanguage(cleaned);
    if (lang === "zh") {
      const text = toSimplified(cleaned).toLowerCase();
      zhAt.push(out.length);
      zhTexts.push(text);
      out.push({ lang, text, tokens: noTokens, negated: noFlags });
    } else {
      const text = cleaned.toLowerCase();
      out.push(lang === "en" ? { lang, text, ...tokenizeEn(text) } : { lang, text, tokens: noTokens, negated: noFlags });
    }
  }
  if (zhTexts.length > 0) {
    const toks = tokenizeZhMany(zhTexts);
    zhAt.forEach((at, k) => {
      const p = out[at]!;
      p.tokens = toks[k]!.tokens;
      p.negated = toks[k]!.negated;
    });
  }
  return out;
}
