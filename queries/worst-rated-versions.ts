import { sql } from "drizzle-orm";
import { defineQuery } from "../src/api/queries.ts";

export default defineQuery({
  purpose: "App versions with the lowest average store rating (with enough reviews to mean something)",
  params: {
    app: { type: "string", description: "app name or alias (all apps when omitted)" },
    minReviews: { type: "int", description: "leave out versions with fewer rated reviews", default: 5 },
    limit: { type: "int", description: "how many versions", default: 10 },
  },
  sql: (p) => sql`
    select a.name as app, m.app_version as version, round(avg(m.rating)::numeric, 2)::float8 as average_rating,
           count(*)::int as reviews,
           count(*) filter (where m.rating <= 2)::int as one_or_two_stars,
           min(coalesce(m.published_at, m.fetched_at))::date::text as first_seen
    from mentions m
    join mention_matches mm on mm.mention_id = m.id
    join watchlists w on w.id = mm.watchlist_id
    join apps a on a.id = w.app_id
    where m.rating is not null and m.app_version is not null and m.duplicate_of is null
      and (${p.app}::text is null or a.name = ${p.app}::text or ${p.app}::text = any(a.aliases))
    group by a.name, m.app_version
    having count(distinct m.id) >= ${p.minReviews}::int
    order by average_rating, reviews desc
    limit ${p.limit}::int`,
});
