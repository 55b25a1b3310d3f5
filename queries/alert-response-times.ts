import { sql } from "drizzle-orm";
import { defineQuery } from "../src/api/queries.ts";

export default defineQuery({
  purpose: "How fast operators acknowledge and resolve alerts, by severity and kind (minutes)",
  params: {
    days: { type: "int", description: "alerts created in the last this many days", default: 30 },
  },
  sql: (p) => sql`
    select a.severity, a.kind, count(*)::int as alerts,
           count(a.acked_at)::int as acked, count(a.resolved_at)::int as resolved,
           round((percentile_cont(0.5) within group (order by extract(epoch from coalesce(a.acked_at, a.resolved_at) - a.created_at)) / 60)::numeric, 1)::float8 as median_ack_min,
           round((percentile_cont(0.9) within group (order by extract(epoch from coalesce(a.acked_at, a.resolved_at) - a.created_at)) / 60)::numeric, 1)::float8 as p90_ack_min,
           round((percentile_cont(0.5) within group (order by extract(epoch from a.resolved_at - a.created_at)) / 60)::numeric, 1)::float8 as median_resolve_min,
           count(*) filter (where a.state = 'open')::int as still_open
    from alerts a
    where a.created_at >= now() - make_interval(days => ${p.days}::int) and a.suppressed is null
    group by a.severity, a.kind
    order by case a.severity when 'critical' then 0 when 'warning' then 1 else 2 end, a.kind`,
});
