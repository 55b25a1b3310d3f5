import { sql } from "drizzle-orm";
import { defineQuery } from "../src/api/queries.ts";
import { runSql } from "../src/api/sqltext.ts";
import { countTerms } from "../src/api/terms.ts";

export default defineQuery({
  purpose: "Words in this week's complaints that were rare or absent last week (jieba-segmented)",
  params: {
    app: { type: "string", description: "app name or alias (all apps when omitted)" },
    minCount: { type: "int", description: "complaints this week that must use the word", default: 3 },
    limit: { type: "int", description: "how many words", default: 20 },
  },
  async run(database, p) {
    const texts = async (weeksAgo: number) =>
      runSql<{ t: string }>(
        database.sql,
        sql`select coalesce(m.title, '') || ' ' || m.text as t from mentions m
            where m.complaint and m.duplicate_of is null
              and coalesce(m.published_at, m.fetched_at) >= now() - make_interval(days => ${7 * (weeksAgo + 1)}::int)
              and coalesce(m.published_at, m.fetched_at) < now() - make_interval(days => ${7 * weeksAgo}::int)
              and (${p.app}::text is null or exists (
                select 1 from mention_matches mm join watchlists w on w.id = mm.watchlist_id join apps a on a.id = w.app_id
                where mm.mention_id = m.id and (a.name = ${p.app}::text or ${p.app}::text = any(a.aliases))))
            limit 20000`,
      );
    const thisWeek = countTerms((await texts(0)).map((r) => r.t), 5000);
    const lastWeek = new Map(countTerms((await texts(1)).map((r) => r.t), 100000).map((t) => [t.term, t.count]));
    return thisWeek
      .filter((t) => t.count >= Number(p.minCount))
      .map((t) => ({ term: t.term, this_week: t.count, last_week: lastWeek.get(t.term) ?? 0 }))
      .filter((t) => t.this_week >= 2 * (t.last_week + 1) - 1 && t.this_week > t.last_week)
      .sort((a, b) => b.this_week - b.last_week - (a.this_week - a.last_week) || a.term.localeCompare(b.term))
      .slice(0, Number(p.limit));
  },
});
