import type { Logger } from "pino";
import type { Sql } from "../db/client.ts";
import type { AlertSeverity } from "../db/schema.ts";
import { writeAlerts, type AlertCandidate } from "./outbox.ts";
import { kindTitle, type HealthView } from "./payload.ts";
import { parseRuleParams, ruleParamSchemas, type RuleParams } from "./rules.ts";

/** How a crawl run of a source ended, as the health monitor hears it. */
export type SourceRunEvent =
  | { source: string; outcome: "ok"; itemsParsed: number }
  | { source: string; outcome: "blocked"; host: string; reason: string }
  | { source: string; outcome: "failed"; error: string };

/** Told after every crawl run; raises one alert when a condition starts and one when it ends. */
export interface SourceHealthMonitor {
  onRun(event: SourceRunEvent): Promise<void>;
}

type Condition = HealthView["condition"];
const CONDITIONS: Condition[] = ["blocked", "failing", "silent"];
/** Healthy runs needed before "usual items" means anything. */
const MIN_SAMPLES = 3;

interface StateRow {
  condition: Condition;
  active: boolean;
  episode: number;
  streak: number;
  usualItems: number | null;
  samples: number;
}

/**
 * Tracks, per source, whether it is blocked (cookies expired, 418/432, captcha), failing N runs
 * in a row, or silent (healthy runs suddenly parse nothing where they used to parse plenty: a
 * layout change). Thresholds come from the first enabled source-health rule; every such rule
 * gets the alerts.
 */
export function createSourceHealthMonitor(deps: { sql: Sql; logger: Logger }): SourceHealthMonitor {
  return {
    async onRun(event) {
      await deps.sql.begin(async (tx) => {
        const rules = await tx<{ id: number; severity: AlertSeverity; params: Record<string, unknown> }[]>`
          select id, severity, params from alert_rules where kind = 'source_health' and enabled order by id`;
        const p: RuleParams["source_health"] = rules[0] ? parseRuleParams("source_health", rules[0].params) : ruleParamSchemas.source_health.parse({});
        await tx`
          insert into source_alert_state (source, condition)
          select ${event.source}, c from unnest(${tx.array(CONDITIONS, 25)}::text[]) c
          on conflict do nothing`;
        const rows = await tx<StateRow[]>`
          select condition, active, episode, streak, usual_items as "usualItems", samples
          from source_alert_state where source = ${event.source} order by condition for update`;
        // A good run clears only the hosts it asked: the source has not recovered while another of
        // its hosts is still paused.
        const [paused] = event.outcome === "ok"
          ? await tx<{ any: boolean }[]>`
              select exists(select 1 from source_health where source = ${event.source} and state = 'blocked'
                and blocked_until > now()) as any`
          : [{ any: false }];
        const changes: HealthView[] = [];
        const next = rows.map((r) => step(r, event, p, changes, paused!.any));
        for (const r of next) {
          await tx`
            update source_alert_state set active = ${r.active}, episode = ${r.episode}, streak = ${r.streak},
              usual_items = ${r.usualItems}, samples = ${r.samples}, updated_at = now(),
              since = case when active is distinct from ${r.active} then now() else since end
            where source = ${event.source} and condition = ${r.condition}`;
        }
        if (changes.length === 0 || rules.length === 0) return;
        const candidates: AlertCandidate[] = rules.flatMap((rule) =>
          changes.map((h) => ({
            ruleId: rule.id,
            watchlistId: null,
            kind: "source_health" as const,
            // A recovery is good news: tell it, but never as loudly as the problem.
            severity: h.change === "recovered" ? "info" : rule.severity,
            mentionId: null,
            dedupKey: `rule-${rule.id}-source-${h.source}-${h.condition}-${next.find((r) => r.condition === h.condition)!.episode}-${h.change}`,
            cooldownKey: null,
            cooldownSec: 0,
            suppressed: null,
            payload: { title: `${kindTitle("source_health")}: ${h.source} ${h.change === "started" ? `is ${h.condition}` : `recovered (was ${h.condition})`}`, app: null, source: h.source, matchedKeywords: [], health: h },
            digestMinutes: 0,
          })),
        );
        await writeAlerts(tx, candidates);
        deps.logger.warn({ source: event.source, changes: changes.map((c) => `${c.condition} ${c.change}`) }, "source health changed");
      });
    },
  };
}

/** One condition's next state after a run (pure); pushes a start or recovery when it changes. */
export function step(row: StateRow, event: SourceRunEvent, p: RuleParams["source_health"], changes: HealthView[], otherHostPaused = false): StateRow {
  const r = { ...row };
  const start = (detail: string) => {
    r.active = true;
    r.episode++;
    changes.push({ source: event.source, condition: r.condition, change: "started", detail });
  };
  const recover = (detail: string) => {
    r.active = false;
    changes.push({ source: event.source, condition: r.condition, change: "recovered", detail });
  };
  switch (r.condition) {
    case "blocked":
      if (event.outcome === "blocked" && !r.active) start(`blocked on ${event.host}: ${event.reason}`);
      else if (event.outcome === "ok" && r.active && !otherHostPaused) recover("a run succeeded again");
      break;
    case "failing":
      if (event.outcome === "failed") {
        r.streak++;
        if (r.streak >= p.failingRuns && !r.active) start(`${r.streak} runs in a row failed; last: ${event.error}`);
      } else if (event.outcome === "ok") {
        r.streak = 0;
        if (r.active) recover("a run succeeded again");
      }
      break;
    case "silent":
      if (event.outcome !== "ok") break;
      if (event.itemsParsed === 0) {
        if (r.samples >= MIN_SAMPLES && (r.usualItems ?? 0) >= p.plentyItems) {
          r.streak++;
          if (r.streak >= p.silentRuns && !r.active) {
            start(`${r.streak} runs in a row parsed nothing where runs usually parse about ${Math.round(r.usualItems!)} items: the site's layout may have changed`);
          }
        }
      } else {
        r.streak = 0;
        // A moving average, so the usual yield follows slow change but not one empty run.
        r.usualItems = r.usualItems === null ? event.itemsParsed : 0.7 * r.usualItems + 0.3 * event.itemsParsed;
        r.samples++;
        if (r.active) recover(`a run parsed ${event.itemsParsed} items again`);
      }
      break;
  }
  return r;
}
