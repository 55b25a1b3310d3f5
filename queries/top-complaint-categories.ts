import { sql } from "drizzle-orm";
import { defineQuery } from "../src/api/queries.ts";

export default defineQuery({
  purpose: "The most frequent complaint categories of each week, with their share of that week's complaints",
  params: {
    app: { type: "string", description: "app name or alias (all apps when omitted)" },
    weeks: { type: "int", description: "how many weeks back", default: 8 },
    top: { type: "int", description: "categories per week", default: 5 },
  },
  sql: (p) => sql`
    with c as (
      select (date_trunc('week', coalesce(m.published_at, m.fetched_at), 'UTC'))::date::text as week,
             coalesce(m.complaint_category, 'other') as category, count(*)::int as complaints
      from mentions m
      where m.complaint and m.duplicate_of is null
        and coalesce(m.published_at, m.fetched_at) >= date_trunc('week', now()) - make_interval(weeks => ${p.weeks}::int - 1)
        and (${p.app}::text is null or exists (
          select 1 from mention_matches mm join watchlists w on w.id = mm.watchlist_id join apps a on a.id = w.app_id
          where mm.mention_id = m.id and (a.name = ${p.app}::text or ${p.app}::text = any(a.aliases))))
      group by 1, 2
    ), ranked as (
      select *, rank() over (partition by week order by complaints desc, category) as rank,
             round(100.0 * complaints / sum(complaints) over (partition by week), 1)::float8 as share_pct
      from c
    )
    select week, rank::int, category, complaints, share_pct from ranked where rank <= ${p.top}::int order by week desc, rank`,
});
