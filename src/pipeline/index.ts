import type { AlertStage } from "../alerts/stage.ts";
import type { Sql } from "../db/client.ts";
import { storeMentionPage, type MentionToStore, type StorePageResult } from "../db/repo/mentions.ts";
import { mentionText, scoreTexts } from "../nlp/index.ts";
import { getSource } from "../sources/index.ts";
import type { RawMention } from "../sources/types.ts";
import { flattenReposts, normaliseMention } from "./normalise.ts";

export interface PipelineDeps {
  sql: Sql;
  alertStage: AlertStage;
  /** Shortest canonical text that can be called a duplicate of another. */
  dedupMinChars: number;
}

export interface MatchedItem {
  raw: RawMention;
  /** Keywords of the watchlist this item matched ('' = the app's own store feed). */
  keywords: string[];
}

/**
 * The one path every mention takes, one page at a time:
 * normalise → score → deduplicate → store (+ matches) → alert stage, in one transaction.
 */
export async function processPage(
  deps: PipelineDeps,
  page: { source: string; watchlistId: number; items: readonly MatchedItem[] },
): Promise<StorePageResult> {
  const prepared: MentionToStore[] = [];
  const normalised = page.items.flatMap(({ raw, keywords }) =>
    flattenReposts([raw]).map((r) => ({ m: normaliseMention(page.source, r, deps.dedupMinChars), keywords })),
  );
  const scores = scoreTexts(
    normalised.map(({ m }) => ({ text: mentionText(m.title, m.text), rating: m.rating })),
  );
  normalised.forEach(({ m, keywords }, i) => prepared.push({ ...m, score: scores[i]!, keywords: [...keywords] }));
  // Store reviews get edited in place; a search source's re-found post changes nothing but its match.
  return storeMentionPage(deps.sql, page.watchlistId, prepared, deps.alertStage, { reviseEdited: getSource(page.source)?.kind === "store" });
}
