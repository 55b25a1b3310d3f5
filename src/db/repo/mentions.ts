import type { TransactionSql } from "postgres";
import type { AlertStage, StoredMention } from "../../alerts/stage.ts";
import type { TextScore } from "../../nlp/index.ts";
import { NearDuplicateIndex, NEAR_DUPLICATE_DISTANCE } from "../../pipeline/fingerprint.ts";
import type { NormalisedMention } from "../../pipeline/normalise.ts";
import type { Sql } from "../client.ts";

export interface MentionToStore extends NormalisedMention {
  score: TextScore;
  /** The keywords of this watchlist that matched ('' for a store feed item). At least one. */
  keywords: string[];
}

export interface StorePageResult {
  /** Items on the page (after removing repeats within the page). */
  seen: number;
  /** Rows inserted by this call, in page order. */
  inserted: StoredMention[];
  /** Of the inserted rows, how many repeat an earlier text (duplicate_of set). */
  duplicates: number;
  alerts: number;
  /** Rows already held whose text, title or rating changed (store reviews only; see StoreOptions). */
  edited: number;
}

export interface StoreOptions {
  /**
   * Store reviews can be edited: a held row that comes back with a different text, title or
   * rating takes the new version (scores and fingerprint too) and its old one goes to
   * mention_revisions. Off for search sources, whose re-found posts change nothing but the match.
   */
  reviseEdited?: boolean;
}

interface Candidate {
  id: number;
  root: number;
  source: string;
  externalId: string;
  fingerprint: string;
  simhash: bigint;
}

/**
 * Stores one page of mentions in one transaction and a fixed number of statements:
 * new rows are inserted, rows already held get one more match and nothing else (unless
 * `reviseEdited` and their content changed), reposts point at the first mention of their text,
 * and the alert stage sees exactly the mentions this watchlist matches for the first time: new
 * rows, and rows another watchlist stored first.
 */
export async function storeMentionPage(
  sql: Sql,
  watchlistId: number,
  page: readonly MentionToStore[],
  alertStage: AlertStage,
  options: StoreOptions = {},
): Promise<StorePageResult> {
  const items = uniqueByKey(page);
  if (items.length === 0) return { seen: 0, inserted: [], duplicates: 0, alerts: 0, edited: 0 };

  return sql.begin(async (tx) => {
    const eligible = items.filter((m) => m.simBands.length > 0);
    // One lock per distinct text: two workers storing the same repost at once must not both call
    // it the original. Locking by text, not by SimHash band, lets pages of different texts store
    // in parallel (band locks serialised nearly every pair of pages); a near-duplicate that races
    // its original between two concurrent pages may be stored as an original too.
    const textLocks = [...new Set(eligible.map((m) => fingerprintLockKey(m.fingerprint)))].sort((a, b) => a - b);

    // Asynchronous commit: a crash can lose the last few hundred milliseconds of committed pages,
    // but never half a page, and WAL is flushed in order, so the run's later synchronous commits
    // (its cursor, its status) make every page before them durable. A run whose end was lost is
    // repeated and stores the lost pages again. Pages that create alerts commit synchronously (below),
    // so no alert is sent for a row a crash could take back.
    await tx`
      select set_config('synchronous_commit', 'off', true),
        (select count(*) from (select pg_advisory_xact_lock(${DEDUP_LOCK_SPACE}::int, k) from unnest(${arr(tx, textLocks, T.int)}::int[]) k order by k) l)`;

    // Under the locks, one statement finds which items are held already, draws ids for the rest
    // (so the insert writes duplicate_of at once instead of updating rows it has just written), and
    // finds stored near-duplicate candidates: a stored text within the distance shares a band with
    // ours (pigeonhole over 4 bands), so one of the four band indexes finds it.
    const band = (i: number) => arr(tx, eligible.map((m) => m.simBands[i]!), T.int);
    const found = await tx<
      { i: number | null; id: string; held: boolean; duplicate_of: string | null; source: string; external_id: string; fingerprint: string; simhash: string }[]
    >`
      select u.i::int, coalesce(m.id, nextval('mentions_id_seq')) as id, m.id is not null as held,
        null::int8 as duplicate_of, null as source, null as external_id, null as fingerprint, null::int8 as simhash
      from unnest(${arr(tx, items.map((m) => m.source), T.text)}::text[], ${arr(tx, items.map((m) => m.externalId), T.text)}::text[])
        with ordinality as u(source, external_id, i)
      left join mentions m on m.source = u.source and m.external_id = u.external_id
      union all
      select distinct null::int, m.id, true, m.duplicate_of, m.source, m.external_id, m.fingerprint, m.simhash
      from unnest(${arr(tx, eligible.map((m) => m.simhash.toString()), T.int8)}::int8[],
                  ${band(0)}::int[], ${band(1)}::int[], ${band(2)}::int[], ${band(3)}::int[]) as u(hash, b1, b2, b3, b4)
      join mentions m on m.sim_bands[1] = u.b1 or m.sim_bands[2] = u.b2 or m.sim_bands[3] = u.b3 or m.sim_bands[4] = u.b4
      where bit_count((m.simhash # u.hash)::bit(64)) <= ${NEAR_DUPLICATE_DISTANCE}`;

    const storedCandidates: Candidate[] = [];
    const heldId = new Map<number, number>();
    const drawn: number[] = [];
    for (const r of found) {
      if (r.i === null) {
        storedCandidates.push({
          id: Number(r.id),
          root: Number(r.duplicate_of ?? r.id),
          source: r.source,
          externalId: r.external_id,
          fingerprint: r.fingerprint,
          simhash: BigInt(r.simhash),
        });
      } else if (r.held) heldId.set(r.i - 1, Number(r.id));
      else drawn.push(Number(r.id));
    }
    // Drawn ids go to the new items in page order, so the first of two copies is the lower id.
    drawn.sort((a, b) => a - b);
    const newId = new Map<MentionToStore, number>();
    items.forEach((m, i) => {
      if (!heldId.has(i)) newId.set(m, drawn[newId.size]!);
    });

    const duplicateOf = findDuplicates(items, newId, storedCandidates);
    const revise = options.reviseEdited ?? false;
    // Held items are written again only when they may have been edited; otherwise they only match.
    const idOfItem = new Map(items.map((m, i) => [m, heldId.get(i) ?? newId.get(m)!]));
    const toWrite = revise ? items : items.filter((m) => newId.has(m));
    const written = await insertNew(tx, watchlistId, toWrite, (m) => idOfItem.get(m)!, (m) => duplicateOf.get(newId.get(m) ?? -1) ?? null, revise);
    const insertedIds = new Set(written.filter((r) => r.inserted).map((r) => Number(r.id)));
    const idByKey = new Map<string, number>();
    items.forEach((m, i) => {
      const id = heldId.get(i) ?? newId.get(m)!;
      if (heldId.has(i) || insertedIds.has(id)) idByKey.set(keyOf(m.source, m.externalId), id);
    });

    // A row of the same key but another text, committed by a concurrent page after the lookup
    // above, makes an item we took for new a conflict instead: walk again without it, and set
    // duplicate_of where the answer changed.
    let finalDuplicateOf = duplicateOf;
    const lost = items.filter((m) => newId.has(m) && !insertedIds.has(newId.get(m)!));
    if (lost.length > 0) {
      for (const m of lost) newId.delete(m);
      finalDuplicateOf = findDuplicates(items, newId, storedCandidates);
      const changed = [...newId.values()].filter((id) => (finalDuplicateOf.get(id) ?? null) !== (duplicateOf.get(id) ?? null));
      if (changed.length > 0) {
        await tx`
          update mentions m set duplicate_of = d.original
          from unnest(${arr(tx, changed, T.int8)}::int8[], ${arr(tx, changed.map((id) => finalDuplicateOf.get(id) ?? null), T.int8)}::int8[]) as d(id, original)
          where m.id = d.id`;
      }
    }

    const stored: StoredMention[] = [];
    for (const m of items) {
      const id = newId.get(m);
      if (id !== undefined) stored.push(toStored(id, watchlistId, m, finalDuplicateOf.get(id) ?? null));
    }

    const firstMatched = await upsertMatches(tx, watchlistId, items, idByKey, insertedIds);
    const toAlert: StoredMention[] = [];
    for (const m of items) {
      const row = firstMatched.get(keyOf(m.source, m.externalId));
      if (row) toAlert.push(toStored(row.id, watchlistId, m, row.duplicateOf));
    }
    const alerts = toAlert.length > 0 ? await alertStage.onStored(tx, toAlert) : 0;
    if (alerts > 0) await tx`set local synchronous_commit = on`;
    return { seen: items.length, inserted: stored, duplicates: stored.filter((m) => m.duplicateOf !== null).length, alerts, edited: written.length - insertedIds.size };
  });
}

const DEDUP_LOCK_SPACE = 0x64757073; // "dups"

/** Element type oids of the array parameters below: postgres.js cannot infer them from arrays holding nulls. */
const T = { text: 25, int: 23, int8: 20 } as const;

/** The first 32 bits of the fingerprint, as a signed int: the advisory lock key of a text. */
function fingerprintLockKey(fingerprint: string): number {
  return Number.parseInt(fingerprint.slice(0, 8), 16) | 0;
}

function arr(tx: TransactionSql, values: readonly unknown[], oid: number) {
  return tx.array(values as never[], oid);
}

function keyOf(source: string, externalId: string): string {
  return `${source}\u0000${externalId}`;
}

/** A page can list the same item twice (a repost of a post also on the page): keep the first, merge keywords. */
function uniqueByKey(page: readonly MentionToStore[]): MentionToStore[] {
  const byKey = new Map<string, MentionToStore>();
  for (const m of page) {
    const key = keyOf(m.source, m.externalId);
    const seen = byKey.get(key);
    // Copied only when keywords change: the caller's items are not ours to modify.
    if (seen) byKey.set(key, { ...seen, keywords: [...new Set([...seen.keywords, ...m.keywords])] });
    else byKey.set(key, m.keywords.length > 1 ? { ...m, keywords: [...new Set(m.keywords)] } : m);
  }
  return [...byKey.values()];
}

/**
 * Walks the page in order: each new item is compared with what was stored before it, then
 * becomes a candidate itself for the items after it. Returns duplicate_of by new id.
 */
function findDuplicates(items: readonly MentionToStore[], newId: ReadonlyMap<MentionToStore, number>, stored: readonly Candidate[]): Map<number, number> {
  const candidates = new NearDuplicateIndex<Candidate>();
  for (const c of stored) candidates.add(c);
  const duplicateOf = new Map<number, number>();
  for (const m of items) {
    const id = newId.get(m);
    if (id === undefined || m.simBands.length === 0) continue;
    const original = findOriginal(m, candidates);
    if (original !== null) duplicateOf.set(id, original);
    candidates.add({ id, root: original ?? id, source: m.source, externalId: m.externalId, fingerprint: m.fingerprint, simhash: m.simhash });
  }
  return duplicateOf;
}

function findOriginal(m: MentionToStore, candidates: NearDuplicateIndex<Candidate>): number | null {
  let best: number | null = null;
  for (const c of candidates.matches(m)) {
    if (c.source === m.source && c.externalId === m.externalId) continue;
    if (best === null || c.root < best) best = c.root;
  }
  return best;
}

/**
 * Inserts the page's new rows; with `revise`, also updates held rows whose content changed and
 * saves their previous version, in the same statement (every CTE reads the rows as they were
 * before it). Returns the rows written, `inserted` telling new rows from revised ones.
 */
async function insertNew(
  tx: TransactionSql,
  watchlistId: number,
  items: readonly MentionToStore[],
  idOf: (m: MentionToStore) => number,
  duplicateOf: (m: MentionToStore) => number | null,
  revise: boolean,
) {
  if (items.length === 0) return [];
  // The page travels as one JSON document: JSON.stringify is native, where escaping twenty
  // array parameters element by element cost the worker more CPU than storing cost Postgres.
  const rows = items.map((m) => ({
    id: idOf(m),
    duplicate_of: duplicateOf(m),
    source: m.source,
    external_id: m.externalId,
    url: m.url,
    author: m.author,
    title: m.title,
    text: m.text,
    language: m.score.lang,
    published_at: m.publishedAt,
    published_raw: m.publishedRaw,
    rating: m.rating,
    app_version: m.appVersion,
    sentiment_score: m.score.score,
    sentiment_label: m.score.label,
    complaint: m.score.complaint,
    complaint_category: m.score.category,
    fingerprint: m.fingerprint,
    simhash: m.simhash.toString(),
    sim_bands: m.simBands,
    extra: m.extra,
    search_terms: m.searchTerms,
  }));
  return tx<{ id: string; source: string; external_id: string; inserted: boolean }[]>`
    with u as (
      select * from json_to_recordset(${JSON.stringify(rows)}::json) as u(
        id int8, duplicate_of int8, source text, external_id text, url text, author text, title text, text text, language text,
        published_at timestamptz, published_raw text, rating int2, app_version text,
        sentiment_score float4, sentiment_label text, complaint bool, complaint_category text,
        fingerprint text, simhash int8, sim_bands int[], extra jsonb, search_terms text[])
    )${revise ? tx`,
    old as (
      select m.id, m.title, m.text, m.rating, m.app_version, m.published_at
      from u join mentions m on m.source = u.source and m.external_id = u.external_id
      where (m.text, m.title, m.rating) is distinct from (u.text, u.title, u.rating)
    ),
    written as (${insertStatement(tx, watchlistId, true)}),
    saved as (
      insert into mention_revisions (mention_id, title, text, rating, app_version, published_at)
      select o.id, o.title, o.text, o.rating, o.app_version, o.published_at
      from old o join written w on w.id = o.id and not w.inserted
    )
    select * from written` : insertStatement(tx, watchlistId, false)}`;
}

function insertStatement(tx: TransactionSql, watchlistId: number, revise: boolean) {
  return tx`
    insert into mentions (
      id, duplicate_of, source, external_id, url, author, title, text, language, published_at, published_raw,
      rating, app_version, sentiment_score, sentiment_label, complaint, complaint_category,
      fingerprint, simhash, sim_bands, extra, search_terms, app_ids)
    select id, duplicate_of, source, external_id, url, author, title, text, language, published_at, published_raw,
      rating, app_version, sentiment_score, sentiment_label, complaint, complaint_category,
      fingerprint, simhash, sim_bands, extra, array_to_tsvector(search_terms),
      coalesce((select array[w.app_id] from watchlists w where w.id = ${watchlistId}::int), '{}')
    from u
    on conflict (source, external_id) ${
      revise
        ? tx`do update set
      title = excluded.title, text = excluded.text, rating = excluded.rating,
      app_version = coalesce(excluded.app_version, mentions.app_version),
      published_at = coalesce(excluded.published_at, mentions.published_at),
      published_raw = coalesce(excluded.published_raw, mentions.published_raw),
      language = excluded.language, sentiment_score = excluded.sentiment_score, sentiment_label = excluded.sentiment_label,
      complaint = excluded.complaint, complaint_category = excluded.complaint_category,
      fingerprint = excluded.fingerprint, simhash = excluded.simhash, sim_bands = excluded.sim_bands,
      search_terms = excluded.search_terms,
      extra = mentions.extra || excluded.extra, fetched_at = now()
    where (mentions.text, mentions.title, mentions.rating) is distinct from (excluded.text, excluded.title, excluded.rating)`
        : tx`do nothing`
    }
    returning id, source, external_id, (xmax = 0) as inserted`;
}

/**
 * One match per (mention, watchlist, keyword); seen again, it counts. Rows the page just wrote
 * come with their ids, the others are looked up. The watchlist is key-share locked once here,
 * in place of a foreign key check per row: deleting it waits for this page, then its trigger
 * deletes these matches too. Returns, by source and external id, the mentions this watchlist had
 * no match for until now (with their stored duplicate_of): the ones its alert rules have not seen.
 */
async function upsertMatches(
  tx: TransactionSql,
  watchlistId: number,
  items: readonly MentionToStore[],
  idByKey: ReadonlyMap<string, number>,
  insertedIds: ReadonlySet<number>,
): Promise<Map<string, { id: number; duplicateOf: number | null }>> {
  const ids: (number | null)[] = [];
  const sources: string[] = [];
  const externalIds: string[] = [];
  const keywords: string[] = [];
  for (const m of items) {
    const id = idByKey.get(keyOf(m.source, m.externalId)) ?? null;
    for (const k of m.keywords) {
      ids.push(id);
      sources.push(m.source);
      externalIds.push(m.externalId);
      keywords.push(k);
    }
  }
  // Rows the page did not write may have been found for another app until now: add this one.
  const heldKeys = items.filter((m) => !insertedIds.has(idByKey.get(keyOf(m.source, m.externalId)) ?? -1));
  if (heldKeys.length > 0) {
    await tx`
      update mentions m set app_ids = m.app_ids || w.app_id
      from watchlists w,
        unnest(${arr(tx, heldKeys.map((m) => m.source), T.text)}::text[], ${arr(tx, heldKeys.map((m) => m.externalId), T.text)}::text[]) as u(source, external_id)
      where w.id = ${watchlistId}::int and m.source = u.source and m.external_id = u.external_id and not (m.app_ids @> array[w.app_id])`;
  }
  // A mention is new to the watchlist when every match row it gets here is inserted (xmax = 0),
  // none with another keyword was there before (the outer query reads mention_matches as it was
  // before this statement), and no concurrent page matched it first (that makes ours an update).
  const rows = await tx<{ id: string; source: string; external_id: string; duplicate_of: string | null }[]>`
    with ins as (
      insert into mention_matches (mention_id, watchlist_id, keyword)
      select x.id, w.id, x.keyword
      from (select id from watchlists where id = ${watchlistId}::int for key share) w,
        lateral (
          select coalesce(u.id, (select m.id from mentions m where m.source = u.source and m.external_id = u.external_id)) as id, u.keyword
          from unnest(${arr(tx, ids, T.int8)}::int8[], ${arr(tx, sources, T.text)}::text[], ${arr(tx, externalIds, T.text)}::text[],
                      ${arr(tx, keywords, T.text)}::text[]) as u(id, source, external_id, keyword)
        ) x
      where x.id is not null
      on conflict (mention_id, watchlist_id, keyword) do update
        set last_seen_at = now(), seen_count = mention_matches.seen_count + 1
      returning mention_id, (xmax = 0) as inserted
    )
    select m.id, m.source, m.external_id, m.duplicate_of
    from ins join mentions m on m.id = ins.mention_id
    group by m.id
    having bool_and(ins.inserted)
      and not exists (select 1 from mention_matches p where p.mention_id = m.id and p.watchlist_id = ${watchlistId}::int)`;
  return new Map(rows.map((r) => [keyOf(r.source, r.external_id), { id: Number(r.id), duplicateOf: r.duplicate_of === null ? null : Number(r.duplicate_of) }]));
}

function toStored(id: number, watchlistId: number, m: MentionToStore, duplicateOf: number | null): StoredMention {
  return {
    id,
    source: m.source,
    externalId: m.externalId,
    watchlistId,
    keywords: m.keywords,
    url: m.url,
    author: m.author,
    title: m.title,
    text: m.text,
    rating: m.rating,
    language: m.score.lang,
    sentimentScore: m.score.score,
    sentimentLabel: m.score.label,
    complaint: m.score.complaint,
    complaintCategory: m.score.category,
    duplicateOf,
    publishedAt: m.publishedAt,
  };
}
