import type { TransactionSql } from "postgres";

/**
 * A mention its watchlist has just matched for the first time (a new row, or one another watchlist
 * stored first), as the alert stage sees it.
 */
export interface StoredMention {
  id: number;
  source: string;
  externalId: string;
  watchlistId: number;
  keywords: string[];
  url: string | null;
  author: string | null;
  title: string | null;
  text: string;
  rating: number | null;
  language: string | null;
  sentimentScore: number | null;
  sentimentLabel: string | null;
  complaint: boolean | null;
  complaintCategory: string | null;
  /** Set when the text repeats an earlier mention: count it, but do not alert for it again. */
  duplicateOf: number | null;
  publishedAt: Date | null;
}

/**
 * Where the pipeline hands a watchlist's newly matched mentions over. It runs inside the
 * transaction that stores them, so an alert row (the outbox) commits or rolls back together with
 * its mention.
 */
export interface AlertStage {
  /** Returns how many alerts it created. */
  onStored(tx: TransactionSql, mentions: readonly StoredMention[]): Promise<number>;
}

/** Until alert rules exist, new mentions create no alerts. */
export const noAlerts: AlertStage = {
  async onStored() {
    return 0;
  },
};
