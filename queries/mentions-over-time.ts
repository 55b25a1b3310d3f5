import { sql } from "drizzle-orm";
import { defineQuery } from "../src/api/queries.ts";

export default defineQuery({
  purpose: "Mentions per day by sentiment (originals only), for one app or all",
  params: {
    app: { type: "string", description: "app name or alias (all apps when omitted)" },
    days: { type: "int", description: "how many days back", default: 30 },
  },
  sql: (p) => sql`
    select (date_trunc('day', coalesce(m.published_at, m.fetched_at), 'UTC'))::date::text as day,
           count(*)::int as total,
           count(*) filter (where m.sentiment_label = 'negative')::int as negative,
           count(*) filter (where m.sentiment_label = 'neutral')::int as neutral,
           count(*) filter (where m.sentiment_label = 'positive')::int as positive
    from mentions m
    where m.duplicate_of is null
      and coalesce(m.published_at, m.fetched_at) >= now() - make_interval(days => ${p.days}::int)
      and (${p.app}::text is null or exists (
        select 1 from mention_matches mm join watchlists w on w.id = mm.watchlist_id join apps a on a.id = w.app_id
        where mm.mention_id = m.id and (a.name = ${p.app}::text or ${p.app}::text = any(a.aliases))))
    group by 1 order by 1`,
});
