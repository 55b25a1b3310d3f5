import type { FastifyInstance } from "fastify";
import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { ApiContext } from "../context.ts";
import { parseInput } from "../errors.ts";
import { filterConditions, mentionFilterFields, type MentionFilter } from "../search.ts";
import { runSql } from "../sqltext.ts";
import { countTerms } from "../terms.ts";
import { meta, R } from "./util.ts";

const withInterval = (intervals: readonly string[], dflt: string) =>
  z.object({ ...mentionFilterFields, interval: z.enum(intervals as [string, ...string[]], { message: `must be one of ${intervals.join(", ")}` }).default(dflt) }).strict();
const volumeQuery = withInterval(["hour", "day"], "day");
const categoriesQuery = withInterval(["day", "week"], "week");
const plainQuery = z.object(mentionFilterFields).strict();
const termsQuery = z.object({ ...mentionFilterFields, limit: z.coerce.number().int().min(1).max(200).default(30) }).strict();

function where(conds: SQL[]): SQL {
  return conds.length ? sql`where ${sql.join(conds, sql` and `)}` : sql``;
}

/** A filter the retained daily counts can answer too (they keep app, source and day only). */
function dailyCompatible(f: MentionFilter): boolean {
  const allowed = new Set(["app", "source", "from", "to", "includeDuplicates"]);
  return Object.entries(f).every(([k, v]) => v === undefined || allowed.has(k));
}

/** /api/aggregates/…: the numbers behind the Trends page. */
export async function aggregateRoutes(api: FastifyInstance, ctx: ApiContext): Promise<void> {
  const pg = ctx.database.sql;

  api.get("/aggregates/volume", { config: { roles: R.readers }, schema: meta("aggregates", "Mentions per day or hour, split by sentiment", { querystring: volumeQuery }) }, async (request) => {
    const { interval, ...f } = parseInput(volumeQuery, request.query);
    const conds = await filterConditions(ctx.database, f);
    const unit = sql.raw(interval === "hour" ? "'hour'" : "'day'");
    const rows = await runSql<{ bucket: Date; negative: number; neutral: number; positive: number; unscored: number }>(
      pg,
      sql`select date_trunc(${unit}, coalesce(m.published_at, m.fetched_at), 'UTC') as bucket,
                 count(*) filter (where m.sentiment_label = 'negative')::int as negative,
                 count(*) filter (where m.sentiment_label = 'neutral')::int as neutral,
                 count(*) filter (where m.sentiment_label = 'positive')::int as positive,
                 count(*) filter (where m.sentiment_label is null)::int as unscored
          from mentions m ${where(conds)} group by 1 order by 1`,
    );
    const buckets = new Map(rows.map((r) => [new Date(r.bucket).toISOString(), { negative: r.negative, neutral: r.neutral, positive: r.positive, unscored: r.unscored }]));
    if (interval === "day" && dailyCompatible(f)) {
      // Mentions removed by retention still count on their day.
      const dc: SQL[] = [];
      if (f.app) dc.push(sql`d.app_id in (select id from apps a where a.id::text = ${f.app} or a.name = ${f.app} or ${f.app} = any(a.aliases))`);
      if (f.source?.length) dc.push(sql`d.source in (${sql.join(f.source.map((s) => sql`${s}`), sql`, `)})`);
      if (f.from) dc.push(sql`d.day >= (${f.from}::timestamptz at time zone 'UTC')::date`);
      if (f.to) dc.push(sql`d.day <= (${f.to}::timestamptz at time zone 'UTC')::date`);
      const daily = await runSql<{ day: string; label: string; n: number }>(
        pg,
        sql`select d.day::text as day, d.sentiment_label as label, sum(d.mentions)::int as n from mention_daily d ${where(dc)} group by 1, 2`,
      );
      for (const d of daily) {
        const key = new Date(`${d.day}T00:00:00Z`).toISOString();
        const b = buckets.get(key) ?? { negative: 0, neutral: 0, positive: 0, unscored: 0 };
        const label = (["negative", "neutral", "positive"].includes(d.label) ? d.label : "unscored") as keyof typeof b;
        b[label] += d.n;
        buckets.set(key, b);
      }
    }
    return { interval, buckets: [...buckets].sort(([a], [b]) => a.localeCompare(b)).map(([bucket, v]) => ({ bucket, ...v, total: v.negative + v.neutral + v.positive + v.unscored })) };
  });

  api.get("/aggregates/categories", { config: { roles: R.readers }, schema: meta("aggregates", "Complaint categories per day or week", { querystring: categoriesQuery }) }, async (request) => {
    const { interval, ...f } = parseInput(categoriesQuery, request.query);
    const conds = await filterConditions(ctx.database, f);
    conds.push(sql`m.complaint`);
    const unit = sql.raw(interval === "day" ? "'day'" : "'week'");
    const rows = await runSql<{ bucket: Date; category: string; count: number }>(
      pg,
      sql`select date_trunc(${unit}, coalesce(m.published_at, m.fetched_at), 'UTC') as bucket,
                 coalesce(m.complaint_category, 'other') as category, count(*)::int as count
          from mentions m ${where(conds)} group by 1, 2 order by 1, 3 desc`,
    );
    return { interval, rows: rows.map((r) => ({ bucket: new Date(r.bucket).toISOString(), category: r.category, count: r.count })) };
  });

  api.get("/aggregates/sources", { config: { roles: R.readers }, schema: meta("aggregates", "Share of mentions by source", { querystring: plainQuery }) }, async (request) => {
    const f = parseInput(plainQuery, request.query);
    const rows = await runSql<{ source: string; count: number }>(
      pg,
      sql`select m.source, count(*)::int as count from mentions m ${where(await filterConditions(ctx.database, f))} group by 1 order by 2 desc`,
    );
    const total = rows.reduce((a, r) => a + r.count, 0);
    return { total, sources: rows.map((r) => ({ ...r, share: total ? r.count / total : 0 })) };
  });

  api.get("/aggregates/terms", { config: { roles: R.readers }, schema: meta("aggregates", "Most frequent words of the newest 5000 matching mentions", { querystring: termsQuery }) }, async (request) => {
    const { limit, ...f } = parseInput(termsQuery, request.query);
    const rows = await runSql<{ t: string }>(
      pg,
      sql`select coalesce(m.title, '') || ' ' || m.text as t from mentions m ${where(await filterConditions(ctx.database, f))}
          order by coalesce(m.published_at, m.fetched_at) desc limit 5000`,
    );
    return { sampled: rows.length, terms: countTerms(rows.map((r) => r.t), limit) };
  });

  api.get("/aggregates/ratings", { config: { roles: R.readers }, schema: meta("aggregates", "Average star rating per app version", { querystring: plainQuery }) }, async (request) => {
    const f = parseInput(plainQuery, request.query);
    const conds = await filterConditions(ctx.database, f);
    conds.push(sql`m.rating is not null`);
    const rows = await runSql<{ app: string | null; version: string | null; average: number; count: number; first_seen: Date }>(
      pg,
      sql`select (select min(a.name) from mention_matches mm join watchlists w on w.id = mm.watchlist_id join apps a on a.id = w.app_id
                  where mm.mention_id = m.id) as app,
                 m.app_version as version, round(avg(m.rating)::numeric, 2)::float8 as average, count(*)::int as count,
                 min(coalesce(m.published_at, m.fetched_at)) as first_seen
          from mentions m ${where(conds)} group by 1, 2 order by 1, 5`,
    );
    return rows.map((r) => ({ app: r.app, version: r.version ?? "(unknown)", average: r.average, count: r.count, firstSeen: r.first_seen }));
  });
}
