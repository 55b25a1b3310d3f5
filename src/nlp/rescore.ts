import type { Sql } from "../db/client.ts";
import { mentionText, scoreText } from "./score.ts";

export interface RescoreOptions {
  /** Only mentions fetched at or after this time. */
  since?: Date;
  /** Mentions per read-score-write round trip. @default 1000 */
  batchSize?: number;
  onBatch?: (done: number) => void;
}

/**
 * Re-scores stored mentions in id order, a batch at a time (keyset paging, one UPDATE per batch),
 * so a model change reaches the mentions already in the database. Returns how many were scored.
 */
export async function rescoreMentions(sql: Sql, options: RescoreOptions = {}): Promise<number> {
  const batchSize = options.batchSize ?? 1000;
  const since = options.since ?? new Date(0);
  let lastId = 0;
  let done = 0;
  for (;;) {
    const rows = await sql<{ id: string; title: string | null; text: string; rating: number | null }[]>`
      select id, title, text, rating from mentions
      where id > ${lastId} and fetched_at >= ${since.toISOString()}::timestamptz
      order by id limit ${batchSize}`;
    if (rows.length === 0) break;
    const scored = rows.map((r) => {
      const s = scoreText({ text: mentionText(r.title, r.text), rating: r.rating });
      return { id: String(r.id), lang: s.lang, score: s.score, label: s.label, complaint: s.complaint, category: s.category };
    });
    // One JSON parameter for the whole batch: no per-row statement, no array-type quirks.
    await sql`
      update mentions m set
        sentiment_score = u.score, sentiment_label = u.label,
        complaint = u.complaint, complaint_category = u.category,
        language = coalesce(m.language, u.lang)
      from jsonb_to_recordset(${JSON.stringify(scored)}::jsonb)
        as u(id bigint, score real, label text, complaint boolean, category text, lang text)
      where m.id = u.id`;
    lastId = Number(rows[rows.length - 1]!.id);
    done += rows.length;
    options.onBatch?.(done);
  }
  return done;
}
