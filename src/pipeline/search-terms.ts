/**
 * Full-text lexemes for Chinese without a server-side segmenter: CJK runs as overlapping character
 * bigrams (一打开就闪退了 → 一打 打开 开就 就闪 闪退 退了; a lone character as itself), other
 * scripts as lower-cased words cut to their first WORD_KEY_CHARS characters (battery → batte). The
 * same rules as the database's earshot_search_terms(), which backfilled rows stored before the
 * store stage computed them.
 */

export const CJK_RUN = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+/g;
export const WORD = /[a-z0-9\u00c0-\u024f]+/g;
/**
 * Cutting words lets a search for a word of at least this length look up one exact index key
 * (crashes, crashed → crash) where a prefix search would gather every key it covers before
 * intersecting; the substring recheck keeps results exact.
 */
export const WORD_KEY_CHARS = 5;

/** Distinct lexemes of a mention's title and text. */
export function searchTerms(title: string | null, text: string): string[] {
  const doc = `${title ?? ""} ${text}`.toLowerCase();
  const out = new Set<string>();
  for (const run of doc.match(CJK_RUN) ?? []) {
    const chars = [...run];
    if (chars.length === 1) out.add(run);
    for (let i = 0; i + 1 < chars.length; i++) out.add(chars[i]! + chars[i + 1]!);
  }
  for (const w of doc.match(WORD) ?? []) out.add(w.slice(0, WORD_KEY_CHARS));
  return [...out];
}
