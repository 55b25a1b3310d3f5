import type { Logger } from "pino";
import type { Sql } from "../db/client.ts";
import type { AlertSeverity } from "../db/schema.ts";
import { writeAlerts } from "./outbox.ts";
import { excerpt, kindTitle, type SpikeView } from "./payload.ts";
import { parseRuleParams, type RuleParams } from "./rules.ts";

/** A mention counts as negative when the model says so or its store rating is 1 or 2 stars. */
const NEGATIVE = `(m.sentiment_label = 'negative' or m.rating <= 2)`;

export interface SpikeCount {
  count: number;
  baseline: number;
}

/**
 * Negative mentions of an app in the window ending at `now`, and the baseline: the mean count of
 * the same window one, two … `weeks` weeks earlier (the same hour of the week). A mention counts
 * at its publication time, or when it was fetched if the site gave none.
 */
export async function countNegative(sql: Sql, appId: number, p: RuleParams["spike"], now: Date): Promise<SpikeCount> {
  const [row] = await sql<{ count: number; past: number }[]>`
    with neg as (
      select distinct m.id, coalesce(m.published_at, m.fetched_at) as at
      from mentions m
      join mention_matches mm on mm.mention_id = m.id
      join watchlists w on w.id = mm.watchlist_id
      where w.app_id = ${appId} and ${sql.unsafe(NEGATIVE)}
        and coalesce(m.published_at, m.fetched_at) > ${now.toISOString()}::timestamptz - make_interval(weeks => ${p.weeks}, mins => ${p.windowMinutes})
        and coalesce(m.published_at, m.fetched_at) <= ${now.toISOString()}::timestamptz
    )
    select
      (select count(*) from neg where at > ${now.toISOString()}::timestamptz - make_interval(mins => ${p.windowMinutes}))::int as count,
      (select count(*) from neg, generate_series(1, ${p.weeks}::int) w
        where neg.at > ${now.toISOString()}::timestamptz - make_interval(weeks => w, mins => ${p.windowMinutes})
          and neg.at <= ${now.toISOString()}::timestamptz - make_interval(weeks => w))::int as past`;
  return { count: row!.count, baseline: row!.past / p.weeks };
}

/** The count at which a spike starts: both the minimum and k × the baseline. */
export function spikeThreshold(p: RuleParams["spike"], baseline: number): number {
  return Math.max(p.minCount, p.factor * baseline);
}

interface SpikeRule {
  id: number;
  watchlistId: number;
  appId: number;
  app: string;
  severity: AlertSeverity;
  params: Record<string, unknown>;
  muted: boolean;
  digestMinutes: number;
}

export interface SpikeCheckResult {
  rules: number;
  started: number;
  ended: number;
}

/**
 * Checks every spike rule once. An episode starts when the count reaches the threshold (one alert,
 * with the top complaint categories and sample posts) and ends when the count falls below half
 * of it, so a count hovering at the threshold does not alert again and again.
 */
export async function checkSpikes(deps: { sql: Sql; logger: Logger }, now = new Date()): Promise<SpikeCheckResult> {
  const { sql } = deps;
  const rules = await sql<SpikeRule[]>`
    select r.id, r.watchlist_id as "watchlistId", w.app_id as "appId", a.name as app, r.severity, r.params,
      coalesce(s.muted, false) as muted, coalesce(s.digest_minutes, 0) as "digestMinutes"
    from alert_rules r join watchlists w on w.id = r.watchlist_id join apps a on a.id = w.app_id
    left join alert_settings s on s.watchlist_id = w.id
    where r.kind = 'spike' and r.enabled order by r.id`;
  const result: SpikeCheckResult = { rules: rules.length, started: 0, ended: 0 };
  for (const rule of rules) {
    const p = parseRuleParams("spike", rule.params);
    const { count, baseline } = await countNegative(sql, rule.appId, p, now);
    const threshold = spikeThreshold(p, baseline);
    const [open] = await sql<{ id: string; peak: number }[]>`
      select id, peak_count as peak from spike_episodes where rule_id = ${rule.id} and ended_at is null`;
    if (count >= threshold) {
      if (open) {
        await sql`update spike_episodes set last_count = ${count}, peak_count = greatest(peak_count, ${count}) where id = ${open.id}`;
        continue;
      }
      const details = await spikeDetails(sql, rule.appId, p.windowMinutes, now);
      const started = await sql.begin(async (tx) => {
        const [episode] = await tx<{ id: string }[]>`
          insert into spike_episodes (rule_id, peak_count, baseline, last_count) values (${rule.id}, ${count}, ${baseline}, ${count})
          on conflict (rule_id) where ended_at is null do nothing returning id`;
        if (!episode) return false; // another checker started it
        const spike: SpikeView = { windowMinutes: p.windowMinutes, count, baseline, factor: p.factor, minCount: p.minCount, ...details };
        await writeAlerts(tx, [
          {
            ruleId: rule.id,
            watchlistId: rule.watchlistId,
            kind: "spike",
            severity: rule.severity,
            mentionId: null,
            dedupKey: `rule-${rule.id}-spike-${episode.id}`,
            cooldownKey: null,
            cooldownSec: 0,
            suppressed: rule.muted ? "muted" : null,
            payload: { title: `${kindTitle("spike")} for ${rule.app}: ${count} in ${p.windowMinutes} min`, app: rule.app, source: null, matchedKeywords: [], spike },
            digestMinutes: rule.digestMinutes,
          },
        ]);
        return true;
      });
      if (started) {
        result.started++;
        deps.logger.info({ ruleId: rule.id, app: rule.app, count, baseline }, "spike episode started");
      }
    } else if (open && count < threshold / 2) {
      await sql`update spike_episodes set ended_at = ${now.toISOString()}::timestamptz, last_count = ${count} where id = ${open.id}`;
      result.ended++;
    }
  }
  return result;
}

async function spikeDetails(sql: Sql, appId: number, windowMinutes: number, now: Date): Promise<Pick<SpikeView, "topCategories" | "samples">> {
  const rows = await sql<{ source: string; url: string | null; text: string; category: string | null; score: number | null }[]>`
    select distinct on (m.id) m.id, m.source, m.url, m.text, m.complaint_category as category, m.sentiment_score as score
    from mentions m join mention_matches mm on mm.mention_id = m.id join watchlists w on w.id = mm.watchlist_id
    where w.app_id = ${appId} and ${sql.unsafe(NEGATIVE)} and m.duplicate_of is null
      and coalesce(m.published_at, m.fetched_at) > ${now.toISOString()}::timestamptz - make_interval(mins => ${windowMinutes})
      and coalesce(m.published_at, m.fetched_at) <= ${now.toISOString()}::timestamptz
    order by m.id`;
  const counts = new Map<string, number>();
  for (const r of rows) if (r.category) counts.set(r.category, (counts.get(r.category) ?? 0) + 1);
  const topCategories = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([category, count]) => ({ category, count }));
  // The most negative texts make the best samples.
  const sorted = [...rows].sort((a, b) => (a.score ?? 0) - (b.score ?? 0));
  return { topCategories, samples: sorted.slice(0, 3).map((r) => ({ source: r.source, url: r.url, excerpt: excerpt(r.text, 140) })) };
}
