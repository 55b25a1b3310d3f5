import { createHmac } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { appSettings } from "../db/schema.ts";
import { loadConfig } from "../config.ts";
import { UsageError } from "../errors.ts";

/** The secret keying author pseudonyms. Without it a pseudonym could be recomputed from a guessed name. */
export const AUTHOR_KEY_VAR = "EARSHOT_AUTHOR_KEY";

export function authorKey(env: NodeJS.ProcessEnv = process.env): string | null {
  return loadConfig(env).authorKey;
}

export function requireAuthorKey(): string {
  const k = authorKey();
  if (!k) throw new UsageError(`pseudonymiseAuthors: set ${AUTHOR_KEY_VAR} (16 characters or more) on every earshot process first; pseudonyms are keyed with it`);
  return k;
}

/** A keyed hash standing in for an author's name: the same author gets the same pseudonym. */
export function pseudonym(author: string, key: string): string {
  return `p:${createHmac("sha256", key).update(author.normalize("NFC"), "utf8").digest("hex").slice(0, 20)}`;
}

export function isPseudonym(author: string): boolean {
  return /^p:[0-9a-f]{20}$/.test(author);
}

export async function getAppSettings(database: Database, appId: number) {
  const [row] = await database.db.select().from(appSettings).where(eq(appSettings.appId, appId));
  return row ?? { appId, retentionDays: null, pseudonymiseAuthors: false, updatedBy: null, updatedAt: null };
}

const RETENTION_LOCK = 0x7265_7465; // "rete": one sweep at a time across processes

/**
 * Applies retention and pseudonymisation for every app with settings: mentions older than the
 * app's retention lose that app's matches (their daily counts are kept in mention_daily first)
 * and are deleted once no app matches them; authors of the app's mentions are replaced by
 * pseudonyms. Safe to run from several processes; only one sweeps at a time.
 */
export async function runRetention(database: Database): Promise<{ deletedMentions: number; rolledUp: number; pseudonymised: number; skipped?: string }> {
  const result = { deletedMentions: 0, rolledUp: 0, pseudonymised: 0 };
  return database.sql.begin(async (tx) => {
    const [lock] = await tx`select pg_try_advisory_xact_lock(${RETENTION_LOCK}) as ok`;
    if (!lock?.ok) return { ...result, skipped: "another process is sweeping" };
    const settings = await tx<{ app_id: number; retention_days: number | null; pseudonymise_authors: boolean }[]>`
      select app_id, retention_days, pseudonymise_authors from app_settings`;
    for (const s of settings) {
      if (s.retention_days) {
        for (;;) {
          const batch = await tx<{ id: string }[]>`
            select m.id from mentions m
            where coalesce(m.published_at, m.fetched_at) < now() - make_interval(days => ${s.retention_days}::int)
              and exists (select 1 from mention_matches mm join watchlists w on w.id = mm.watchlist_id
                          where mm.mention_id = m.id and w.app_id = ${s.app_id}::int)
            limit 5000`;
          if (batch.length === 0) break;
          const ids = batch.map((b) => b.id);
          const rolled = await tx`
            insert into mention_daily as d (app_id, day, source, sentiment_label, complaint_category, mentions, complaints, rating_sum, rating_count)
            select ${s.app_id}::int, (coalesce(m.published_at, m.fetched_at) at time zone 'UTC')::date, m.source,
                   coalesce(m.sentiment_label, ''), case when m.complaint then coalesce(m.complaint_category, '') else '' end,
                   count(*)::int, count(*) filter (where m.complaint)::int, coalesce(sum(m.rating), 0)::int, count(m.rating)::int
            from mentions m where m.id = any(${ids}::int8[]) and m.duplicate_of is null
            group by 2, 3, 4, 5
            on conflict (app_id, day, source, sentiment_label, complaint_category) do update set
              mentions = d.mentions + excluded.mentions, complaints = d.complaints + excluded.complaints,
              rating_sum = d.rating_sum + excluded.rating_sum, rating_count = d.rating_count + excluded.rating_count`;
          result.rolledUp += rolled.count;
          await tx`
            delete from mention_matches mm using watchlists w
            where w.id = mm.watchlist_id and w.app_id = ${s.app_id}::int and mm.mention_id = any(${ids}::int8[])`;
          const deleted = await tx`
            delete from mentions m where m.id = any(${ids}::int8[])
              and not exists (select 1 from mention_matches mm where mm.mention_id = m.id)`;
          result.deletedMentions += deleted.count;
        }
      }
      if (s.pseudonymise_authors) {
        const key = authorKey();
        if (!key) continue;
        for (;;) {
          const rows = await tx<{ id: string; author: string }[]>`
            select m.id, m.author from mentions m
            where m.author is not null and m.author !~ '^p:[0-9a-f]{20}$'
              and exists (select 1 from mention_matches mm join watchlists w on w.id = mm.watchlist_id
                          where mm.mention_id = m.id and w.app_id = ${s.app_id}::int)
            limit 2000`;
          if (rows.length === 0) break;
          await tx`
            update mentions m set author = u.author
            from unnest(${rows.map((r) => r.id)}::int8[], ${rows.map((r) => pseudonym(r.author, key))}::text[]) as u(id, author)
            where m.id = u.id`;
          result.pseudonymised += rows.length;
        }
      }
    }
    return result;
  });
}

/** Deletes every mention written by an author (by name, or by the pseudonym that name maps to). */
export async function deleteByAuthor(database: Database, author: string, appId?: number): Promise<number> {
  const names = [author];
  const key = authorKey();
  if (key && !isPseudonym(author)) names.push(pseudonym(author, key));
  const rows = await database.db.execute(sql`
    delete from mentions m where m.author in (${sql.join(names.map((n) => sql`${n}`), sql`, `)})
      ${appId ? sql`and exists (select 1 from mention_matches mm join watchlists w on w.id = mm.watchlist_id where mm.mention_id = m.id and w.app_id = ${appId})` : sql``}
    returning m.id`);
  return rows.length;
}
