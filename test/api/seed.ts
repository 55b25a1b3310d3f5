import { searchTerms } from "../../src/pipeline/search-terms.ts";
import type { Sql } from "../../src/db/client.ts";

export interface SeedMention {
  source?: string;
  text: string;
  title?: string | null;
  author?: string | null;
  url?: string | null;
  language?: string | null;
  publishedAt?: Date | string | null;
  rating?: number | null;
  appVersion?: string | null;
  sentimentLabel?: string | null;
  sentimentScore?: number | null;
  complaint?: boolean | null;
  complaintCategory?: string | null;
  duplicateOf?: number | null;
  keyword?: string;
}

let seq = 0;

/** An app with one watchlist (created on first use), for tests that seed mentions directly. */
export async function seedWatchlist(sql: Sql, app: string, sources = ["appstore"], keywords: string[] = []): Promise<{ appId: number; watchlistId: number }> {
  const [a] = await sql<{ id: number }[]>`insert into apps (name) values (${app}) on conflict (name) do update set name = excluded.name returning id`;
  const [w] = await sql<{ id: number }[]>`
    insert into watchlists (app_id, keywords, sources, interval_sec, created_by, updated_by)
    values (${a!.id}, ${keywords}, ${sources}, 900, 'test', 'test') returning id`;
  return { appId: a!.id, watchlistId: w!.id };
}

/** Inserts mentions as the pipeline would have stored them (scores given), matched to a watchlist. Returns their ids. */
export async function seedMentions(sql: Sql, watchlistId: number, items: readonly SeedMention[]): Promise<number[]> {
  const ids: number[] = [];
  for (const m of items) {
    seq++;
    const [row] = await sql<{ id: string }[]>`
      insert into mentions (source, external_id, url, author, title, text, language, published_at, rating, app_version,
        sentiment_label, sentiment_score, complaint, complaint_category, fingerprint, simhash, sim_bands, duplicate_of, search_terms, app_ids)
      values (${m.source ?? "appstore"}, ${`seed-${seq}-${Math.random().toString(36).slice(2)}`}, ${m.url ?? null}, ${m.author ?? null},
        ${m.title ?? null}, ${m.text}, ${m.language ?? null},
        ${m.publishedAt === undefined ? new Date().toISOString() : m.publishedAt === null ? null : new Date(m.publishedAt).toISOString()}::timestamptz,
        ${m.rating ?? null}, ${m.appVersion ?? null}, ${m.sentimentLabel ?? null}, ${m.sentimentScore ?? null}, ${m.complaint ?? null},
        ${m.complaintCategory ?? null}, ${`fp${seq}`}, ${seq}, '{}', ${m.duplicateOf ?? null},
        array_to_tsvector(${sql.array(searchTerms(m.title ?? null, m.text), 25)}::text[]),
        array[(select app_id from watchlists where id = ${watchlistId})])
      returning id`;
    const id = Number(row!.id);
    await sql`insert into mention_matches (mention_id, watchlist_id, keyword) values (${id}, ${watchlistId}, ${m.keyword ?? ""})`;
    ids.push(id);
  }
  return ids;
}
