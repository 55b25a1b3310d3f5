import type { RawMention } from "../sources/types.ts";
import { canonicalText, fingerprint, simBands, simhash } from "./fingerprint.ts";
import { searchTerms } from "./search-terms.ts";

/** Longest text kept per mention; longer posts are cut (the URL still leads to the whole). */
export const MAX_TEXT_CHARS = 20_000;

export interface NormalisedMention {
  source: string;
  externalId: string;
  url: string | null;
  author: string | null;
  title: string | null;
  text: string;
  publishedAt: Date | null;
  publishedRaw: string | null;
  rating: number | null;
  appVersion: string | null;
  extra: Record<string, unknown>;
  fingerprint: string;
  simhash: bigint;
  /** Empty when the text is too short to call another text its duplicate ("好评", "垃圾"). */
  simBands: number[];
  /** Full-text lexemes of title and text. */
  searchTerms: string[];
}

// C0/C1 controls except tab and newline, lone surrogates and the BOM: they break JSON, CSV and terminals.
const CONTROL_RE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function cleanText(text: string): string {
  return text
    .replace(CONTROL_RE, "")
    .replace(/\r\n?/g, "\n")
    .replace(/[ \t\u00a0\u3000]+/g, " ")
    .replace(/ *\n[ \n]*/g, "\n")
    .trim()
    .slice(0, MAX_TEXT_CHARS);
}

function cleanField(value: string | null | undefined, max = 500): string | null {
  if (value == null) return null;
  const v = cleanText(value).slice(0, max);
  return v === "" ? null : v;
}

export function normaliseMention(source: string, raw: RawMention, dedupMinChars: number): NormalisedMention {
  const text = cleanText(raw.text ?? "");
  const title = cleanField(raw.title);
  const canonical = canonicalText(title && !text.startsWith(title) ? `${title} ${text}` : text);
  const hash = simhash(canonical);
  const rating = raw.rating != null && Number.isFinite(raw.rating) ? Math.round(raw.rating) : null;
  return {
    source,
    externalId: String(raw.externalId),
    url: cleanField(raw.url, 2000),
    author: cleanField(raw.author, 200),
    title,
    text,
    publishedAt: raw.publishedAt && !Number.isNaN(raw.publishedAt.getTime()) ? raw.publishedAt : null,
    publishedRaw: cleanField(raw.publishedRaw, 100),
    rating: rating != null && rating >= 1 && rating <= 5 ? rating : null,
    appVersion: cleanField(raw.appVersion, 50),
    extra: raw.extra ?? {},
    fingerprint: fingerprint(canonical),
    simhash: hash,
    simBands: canonical.length >= dedupMinChars ? simBands(hash) : [],
    searchTerms: searchTerms(title, text),
  };
}

/**
 * Flattens reposts: the reposted original becomes a mention of its own, placed before the repost
 * (so it is stored first) and linked from it.
 */
export function flattenReposts(items: readonly RawMention[]): RawMention[] {
  const out: RawMention[] = [];
  for (const item of items) {
    if (item.reposted) {
      out.push(...flattenReposts([item.reposted]));
      out.push({ ...item, reposted: null, extra: { ...item.extra, repostOf: item.reposted.externalId } });
    } else {
      out.push(item);
    }
  }
  return out;
}
