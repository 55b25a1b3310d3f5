import { CJK_RUN, WORD, WORD_KEY_CHARS } from "../pipeline/search-terms.ts";
import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../db/client.ts";
import { findAppByName } from "../db/repo/watchlists.ts";
import { ApiError } from "./errors.ts";
import { cursorSql, runSql } from "./sqltext.ts";

const list = z
  .string()
  .transform((v) => [...new Set(v.split(",").map((s) => s.trim()).filter(Boolean))])
  .optional();
const boolish = z
  .enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" })
  .transform((v) => v === "true" || v === "1" || v === "yes")
  .optional();
const when = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/, "must be a date (2024-05-01) or an ISO date-time")
  .refine((v) => !Number.isNaN(Date.parse(v)), "is not a real date")
  .optional();
const score = z.coerce.number().min(-1, "must be between -1 and 1").max(1, "must be between -1 and 1").optional();
export const sentimentLabels = ["negative", "neutral", "positive"] as const;

/** Filters shared by search, export and aggregates (query-string values, validated and typed). */
export const mentionFilterFields = {
  q: z.string().trim().max(200, "is longer than 200 characters").optional().describe("full-text search; every word must appear (Chinese works: 闪退 finds 一打开就闪退了)"),
  app: z.string().trim().min(1).optional().describe("app id, name or alias"),
  source: list.describe("comma-separated sources"),
  watchlist: z.coerce.number().int().positive().optional(),
  keyword: z.string().optional().describe("the watchlist keyword that found the mention"),
  language: list.describe("comma-separated language codes (zh, en, …)"),
  sentiment: list
    .refine((v) => !v || v.every((s) => (sentimentLabels as readonly string[]).includes(s)), `must be a comma-separated list of ${sentimentLabels.join(", ")}`)
    .describe("comma-separated sentiment labels"),
  scoreMin: score,
  scoreMax: score,
  rating: list
    .refine((v) => !v || v.every((r) => /^[1-5]$/.test(r)), "must be star ratings 1 to 5, comma-separated")
    .describe("comma-separated star ratings"),
  ratingMin: z.coerce.number().int().min(1).max(5).optional(),
  ratingMax: z.coerce.number().int().min(1).max(5).optional(),
  complaint: boolish,
  category: list.describe("comma-separated complaint categories"),
  from: when.describe("published at or after (date or date-time)"),
  to: when.describe("published before (a date includes that whole day)"),
  includeDuplicates: boolish.describe("include reposts of texts already listed"),
};
export const mentionFilterSchema = z.object(mentionFilterFields).strict();
export type MentionFilter = z.output<typeof mentionFilterSchema>;

export const searchSchema = z
  .object({
    ...mentionFilterFields,
    limit: z.coerce.number().int().min(1).max(500, "must be at most 500").default(50),
    cursor: z.string().max(200).optional().describe("nextCursor of the previous page"),
  })
  .strict();
export type SearchParams = z.output<typeof searchSchema>;

export interface MentionResult {
  id: number;
  source: string;
  externalId: string;
  url: string | null;
  author: string | null;
  title: string | null;
  text: string;
  language: string | null;
  publishedAt: string | null;
  fetchedAt: string;
  rating: number | null;
  appVersion: string | null;
  sentimentLabel: string | null;
  sentimentScore: number | null;
  complaint: boolean | null;
  complaintCategory: string | null;
  duplicateOf: number | null;
  apps: string[];
  watchlistIds: number[];
  keywords: string[];
}


/**
 * The index lexemes of one search term, as searchTerms() makes them for documents: CJK runs as
 * character bigrams; a word as its indexed key when it is at least that long, else as a prefix of
 * the keys. A lone CJK character has no bigram and is found by the substring check alone.
 */
export function termLexemes(term: string): string[] {
  const lower = term.toLowerCase();
  const out: string[] = [];
  for (const run of lower.match(CJK_RUN) ?? []) {
    const chars = [...run];
    for (let i = 0; i + 1 < chars.length; i++) out.push(`'${chars[i]}${chars[i + 1]}'`);
  }
  for (const w of lower.match(WORD) ?? []) out.push(w.length >= WORD_KEY_CHARS ? `'${w.slice(0, WORD_KEY_CHARS)}'` : `'${w}':*`);
  return out;
}

function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const whenExpr = sql.raw("coalesce(m.published_at, m.fetched_at)");

function endOf(to: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(to)) {
    const d = new Date(`${to}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString();
  }
  return new Date(to).toISOString();
}

async function resolveApp(database: Database, app: string): Promise<number> {
  if (/^\d+$/.test(app)) return Number(app);
  const row = await findAppByName(database.db, app);
  if (!row) throw new ApiError(400, `app: no app is named "${app}"`, "app");
  return row.id;
}

function inList(values: readonly (string | number)[]): SQL {
  return sql.join(values.map((v) => sql`${v}`), sql`, `);
}

/** The WHERE conditions of a filter over `mentions m`. */
export async function filterConditions(database: Database, f: MentionFilter): Promise<SQL[]> {
  const { conds, match, appId } = await fieldConditions(database, f);
  return [...conds, ...(match ? [match] : []), ...textConditions(f.q, appId)];
}

/**
 * The conditions of every filter but the full-text one: `match` is the lookup in mention_matches
 * (app, watchlist, keyword), `conds` the rest; and the app filtered on.
 */
async function fieldConditions(database: Database, f: MentionFilter): Promise<{ conds: SQL[]; match: SQL | null; appId: number | null }> {
  const c: SQL[] = [];
  let match: SQL | null = null;
  let appId: number | null = null;
  if (f.scoreMin !== undefined && f.scoreMax !== undefined && f.scoreMin > f.scoreMax) {
    throw new ApiError(400, "scoreMin: is above scoreMax", "scoreMin");
  }
  if (f.app || f.watchlist || f.keyword !== undefined) {
    const m: SQL[] = [sql`mm.mention_id = m.id`];
    if (f.app) {
      // The app's watchlist ids go in as values: the planner then knows from mention_matches'
      // statistics how many rows match, and walks the date index instead of every match.
      appId = await resolveApp(database, f.app);
      const ids = (await runSql<{ id: number }>(database.sql, sql`select id from watchlists where app_id = ${appId}::int`)).map((r) => r.id);
      m.push(ids.length ? sql`mm.watchlist_id in (${inList(ids)})` : sql`false`);
    }
    if (f.watchlist) m.push(sql`mm.watchlist_id = ${f.watchlist}::int`);
    if (f.keyword !== undefined) m.push(sql`mm.keyword = ${f.keyword}`);
    match = sql`exists (select 1 from mention_matches mm where ${sql.join(m, sql` and `)})`;
  }
  if (f.source?.length) c.push(sql`m.source in (${inList(f.source)})`);
  if (f.language?.length) c.push(sql`m.language in (${inList(f.language)})`);
  if (f.sentiment?.length) c.push(sql`m.sentiment_label in (${inList(f.sentiment)})`);
  if (f.scoreMin !== undefined) c.push(sql`m.sentiment_score >= ${f.scoreMin}::real`);
  if (f.scoreMax !== undefined) c.push(sql`m.sentiment_score <= ${f.scoreMax}::real`);
  if (f.rating?.length) c.push(sql`m.rating in (${inList(f.rating.map(Number))})`);
  if (f.ratingMin !== undefined) c.push(sql`m.rating >= ${f.ratingMin}::int`);
  if (f.ratingMax !== undefined) c.push(sql`m.rating <= ${f.ratingMax}::int`);
  if (f.complaint !== undefined) c.push(f.complaint ? sql`m.complaint` : sql`not coalesce(m.complaint, false)`);
  if (f.category?.length) c.push(sql`m.complaint_category in (${inList(f.category)})`);
  if (f.from) c.push(sql`${whenExpr} >= ${new Date(f.from).toISOString()}::timestamptz`);
  if (f.to) c.push(sql`${whenExpr} < ${endOf(f.to)}::timestamptz`);
  if (!f.includeDuplicates) c.push(sql`m.duplicate_of is null`);
  return { conds: c, match, appId };
}

/** The full-text conditions of a query: every term must appear. */
function textConditions(q: string | undefined, appId: number | null): SQL[] {
  if (!q) return [];
  const c: SQL[] = [];
  const terms = q.split(/\s+/).filter(Boolean);
  const lexemes = [...new Set(terms.flatMap(termLexemes))];
  // The index narrows the rows; the substring check keeps only those holding each term as typed.
  if (lexemes.length) c.push(sql`m.search_terms @@ to_tsquery('simple', ${lexemes.join(" & ")})`);
  // Terms and app share one index: a term common in other apps but absent from this one is
  // answered there, not by reading every row holding it.
  if (lexemes.length && appId !== null) c.push(sql`m.app_ids @> array[${appId}::int]`);
  for (const t of terms) c.push(sql`(coalesce(m.title, '') || ' ' || m.text) ilike ${likePattern(t)}`);
  return c;
}

const resultColumns = sql.raw(`
  m.id, m.source, m.external_id, m.url, m.author, m.title, m.text, m.language, m.published_at, m.fetched_at,
  m.rating, m.app_version, m.sentiment_label, m.sentiment_score, m.complaint, m.complaint_category, m.duplicate_of,
  coalesce(m.published_at, m.fetched_at)::text as at_key,
  coalesce((select array_agg(distinct a.name) from mention_matches mm join watchlists w on w.id = mm.watchlist_id
            join apps a on a.id = w.app_id where mm.mention_id = m.id), '{}') as apps,
  coalesce((select array_agg(distinct mm.watchlist_id) from mention_matches mm where mm.mention_id = m.id), '{}') as watchlist_ids,
  coalesce((select array_agg(distinct mm.keyword) from mention_matches mm where mm.mention_id = m.id and mm.keyword <> ''), '{}') as keywords`);

function iso(v: unknown): string | null {
  if (v == null) return null;
  return (v instanceof Date ? v : new Date(String(v))).toISOString();
}

function toResult(r: Record<string, unknown>): MentionResult {
  return {
    id: Number(r.id),
    source: r.source as string,
    externalId: r.external_id as string,
    url: (r.url as string | null) ?? null,
    author: (r.author as string | null) ?? null,
    title: (r.title as string | null) ?? null,
    text: r.text as string,
    language: (r.language as string | null) ?? null,
    publishedAt: iso(r.published_at),
    fetchedAt: iso(r.fetched_at)!,
    rating: r.rating == null ? null : Number(r.rating),
    appVersion: (r.app_version as string | null) ?? null,
    sentimentLabel: (r.sentiment_label as string | null) ?? null,
    sentimentScore: r.sentiment_score == null ? null : Number(r.sentiment_score),
    complaint: (r.complaint as boolean | null) ?? null,
    complaintCategory: (r.complaint_category as string | null) ?? null,
    duplicateOf: r.duplicate_of == null ? null : Number(r.duplicate_of),
    apps: (r.apps as string[]) ?? [],
    watchlistIds: ((r.watchlist_ids as unknown[]) ?? []).map(Number),
    keywords: (r.keywords as string[]) ?? [],
  };
}

function encodeCursor(atKey: string, id: number): string {
  return Buffer.from(JSON.stringify([atKey, id]), "utf8").toString("base64url");
}

function decodeCursor(cursor: string): { at: string; id: number } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as [unknown, unknown];
    if (typeof at === "string" && Number.isSafeInteger(id) && /^\d{4}-\d{2}-\d{2}[ T][\d:.]+([+-]\d{2}(:?\d{2})?|Z)?$/.test(at)) {
      return { at, id: id as number };
    }
  } catch {
    // fall through
  }
  throw new ApiError(400, "cursor: is not a cursor this API gave out (pass nextCursor unchanged)", "cursor");
}

/**
 * How many of the newest rows passing the other filters a full-text search reads before it asks
 * the full-text index instead. A term in at least 1 % of them fills a page from this walk.
 */
export const FULLTEXT_RECENT_ROWS = 5000;

function where(conds: SQL[]): SQL {
  return conds.length ? sql`where ${sql.join(conds, sql` and `)}` : sql``;
}

/**
 * One page of matching mentions, newest first. Keyset pagination: the next page starts after the
 * last row's (date, id), so deep pages cost what the first one does and rows do not shift.
 *
 * Full text is read in two ways. The planner cannot tell how common a term is (the bigrams of one
 * word always come together, so it multiplies their frequencies and expects a handful of rows):
 * left alone, it reads and sorts every match of a common term. So the newest rows passing the
 * other filters are walked first, on the date index, testing each row's stored search vector;
 * a common term fills the page within a few thousand rows. Only a term too rare for that is looked
 * up in the full-text index, which is then cheap because it has few matches.
 */
export async function searchMentions(database: Database, p: SearchParams): Promise<{ items: MentionResult[]; nextCursor: string | null }> {
  const { conds, match, appId } = await fieldConditions(database, p);
  const text = textConditions(p.q, appId);
  const matched = match ? [match] : [];
  if (p.cursor) {
    const c = decodeCursor(p.cursor);
    conds.push(sql`(${whenExpr}, m.id) < (${c.at}::timestamptz, ${c.id}::bigint)`);
  }
  const want = p.limit + 1;
  const byDate = (c: SQL[]) => sql`select ${resultColumns} from mentions m ${where(c)} order by ${whenExpr} desc, m.id desc limit ${want}::int`;
  const rows = !text.length
    ? await runSql(database.sql, byDate([...conds, ...matched]))
    : await database.sql.begin(async (tx) => {
        // Parallel workers take longer to start than the walk takes to fill a page.
        await tx`set local max_parallel_workers_per_gather = 0`;
        // Filtered by app, the walk reads the app's ids on each row (a superset of its matches) and
        // only the rows that hold the terms are looked up in mention_matches; any exact match newer
        // than the page's last row is still inside the walk, so a full page is the right page.
        const [walked, checked] = appId === null
          ? [[...conds, ...matched], text]
          : [[...conds, sql`m.app_ids @> array[${appId}::int]`], [...text, ...matched]];
        // search_at is an output column of the walk, so the outer order reuses it without a sort
        // and the walk stops as soon as the page is full.
        const recent = await runSql(
          tx,
          sql`select ${resultColumns} from (
                select m.*, ${whenExpr} as search_at from mentions m ${where(walked)}
                order by ${whenExpr} desc, m.id desc limit ${Math.max(FULLTEXT_RECENT_ROWS, want * 20)}::int) m
              where ${sql.join(checked, sql` and `)}
              order by m.search_at desc, m.id desc limit ${want}::int`,
        );
        if (recent.length === want) return recent;
        // Too rare for the walk: every match is gathered first (materialized, so the full-text
        // index finds them), then sorted. Left to itself the planner, which cannot estimate a
        // term within an app, may walk the whole date index looking for matches that are not there.
        return runSql(
          tx,
          sql`with hits as materialized (
                select m.id, ${whenExpr} as search_at from mentions m ${where([...conds, ...matched, ...text])})
              select ${resultColumns} from hits h join mentions m on m.id = h.id
              order by h.search_at desc, h.id desc limit ${want}::int`,
        );
      });
  const more = rows.length > p.limit;
  const page = more ? rows.slice(0, p.limit) : rows;
  const last = page.at(-1);
  return {
    items: page.map(toResult),
    nextCursor: more && last ? encodeCursor(String(last.at_key), Number(last.id)) : null,
  };
}

/**
 * Every matching mention, newest first, in batches read through a cursor (constant memory).
 * The filter is checked before this returns, so a bad filter fails before any byte is sent.
 */
export async function exportMentions(database: Database, f: MentionFilter): Promise<AsyncGenerator<MentionResult[]>> {
  const conds = await filterConditions(database, f);
  const query = sql`select ${resultColumns} from mentions m ${where(conds)}
      order by ${whenExpr} desc, m.id desc`;
  return (async function* () {
    for await (const rows of cursorSql(database.sql, query, 500)) yield rows.map(toResult);
  })();
}

/** One mention by id, or undefined. */
export async function getMention(database: Database, id: number): Promise<MentionResult | undefined> {
  const rows = await runSql(database.sql, sql`select ${resultColumns} from mentions m where m.id = ${id}::bigint`);
  return rows[0] ? toResult(rows[0]) : undefined;
}
