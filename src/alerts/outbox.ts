import type { TransactionSql } from "postgres";
import type { AlertRuleKind, AlertSeverity } from "../db/schema.ts";
import type { AlertPayload } from "./payload.ts";
import { cooldownKey, evaluateMention, mentionDedupKey, mentionPayload, type MentionRule } from "./rules.ts";
import type { AlertStage, StoredMention } from "./stage.ts";

/** Postgres NOTIFY channel: the payload "<min>-<max>" names the delivery ids a transaction committed. */
export const OUTBOX_CHANNEL = "earshot_alerts";

/** One alert to write: the rule decided, the outbox makes it once. */
export interface AlertCandidate {
  ruleId: number;
  watchlistId: number | null;
  kind: AlertRuleKind;
  severity: AlertSeverity;
  mentionId: number | null;
  /** Unique: a second candidate with the same key is dropped (reruns, redelivered jobs, reposts). */
  dedupKey: string;
  cooldownKey: string | null;
  cooldownSec: number;
  /** Decided before writing (muted, or cooled down within the page). */
  suppressed: "muted" | "cooldown" | null;
  payload: AlertPayload;
  /** Minutes per digest window of the watchlist (0 = no digest). */
  digestMinutes: number;
}

const T = { text: 25, int: 23, int8: 20 } as const;
const COOLDOWN_LOCK_SPACE = 0x636f6f6c; // "cool"

/**
 * Writes alerts and their deliveries in one statement, inside the caller's transaction: existing
 * keys are skipped, a cooldown suppresses an alert whose rule already told about the same thread or
 * author, each unsuppressed alert gets one pending delivery per channel of its rule, and a NOTIFY
 * (sent by Postgres only at commit) wakes the enqueuer. Returns how many alerts were new.
 */
export async function writeAlerts(tx: TransactionSql, candidates: readonly AlertCandidate[]): Promise<number> {
  const seen = new Set<string>();
  const rows = candidates.filter((c) => !seen.has(c.dedupKey) && seen.add(c.dedupKey));
  if (rows.length === 0) return 0;
  const col = <V>(f: (c: AlertCandidate) => V) => rows.map(f) as never[];
  // Two workers storing posts of the same author (or thread) at once would each see no earlier
  // alert in the other's uncommitted transaction: a lock per (rule, cooldown key), held to
  // commit, makes the second wait and then see the first, so a cooldown holds across workers.
  const cooling = [...new Set(rows.filter((c) => c.cooldownKey !== null && c.cooldownSec > 0 && c.suppressed === null).map((c) => `${c.ruleId}:${c.cooldownKey}`))];
  if (cooling.length > 0) {
    await tx`
      select count(*) from (
        select pg_advisory_xact_lock(${COOLDOWN_LOCK_SPACE}::int, k)
        from (select distinct hashtext(x) as k from unnest(${tx.array(cooling, T.text)}::text[]) x) keys order by k) l`;
  }
  const [result] = await tx<{ alerts: number }[]>`
    with u as (
      select * from unnest(
        ${tx.array(col((c) => c.ruleId), T.int)}::int[], ${tx.array(col((c) => c.watchlistId), T.int)}::int[],
        ${tx.array(col((c) => c.kind), T.text)}::text[], ${tx.array(col((c) => c.severity), T.text)}::text[],
        ${tx.array(col((c) => c.mentionId), T.int8)}::int8[], ${tx.array(col((c) => c.dedupKey), T.text)}::text[],
        ${tx.array(col((c) => c.cooldownKey), T.text)}::text[], ${tx.array(col((c) => c.cooldownSec), T.int)}::int[],
        ${tx.array(col((c) => c.suppressed), T.text)}::text[], ${tx.array(col((c) => JSON.stringify(c.payload)), T.text)}::text[],
        ${tx.array(col((c) => c.digestMinutes), T.int)}::int[]
      ) as u(rule_id, watchlist_id, kind, severity, mention_id, dedup_key, cooldown_key, cooldown_sec, suppressed, payload, digest_minutes)
    ), ins as (
      insert into alerts (rule_id, watchlist_id, kind, severity, mention_id, dedup_key, cooldown_key, suppressed, payload)
      select u.rule_id, u.watchlist_id, u.kind, u.severity, u.mention_id, u.dedup_key, u.cooldown_key,
        coalesce(u.suppressed, case when u.cooldown_key is not null and exists (
          select 1 from alerts a
          where a.rule_id = u.rule_id and a.cooldown_key = u.cooldown_key and a.suppressed is null
            and a.created_at > now() - make_interval(secs => u.cooldown_sec)) then 'cooldown' end),
        u.payload::jsonb
      from u
      on conflict (dedup_key) do nothing
      returning id, rule_id, suppressed, dedup_key
    ), del as (
      insert into deliveries (alert_id, channel_id, digest_until)
      select ins.id, c.id,
        case when u.digest_minutes > 0
          then to_timestamp((floor(extract(epoch from now()) / (u.digest_minutes * 60)) + 1) * (u.digest_minutes * 60)) end
      from ins
      join u on u.dedup_key = ins.dedup_key
      join alert_rules r on r.id = ins.rule_id
      join channels c on c.enabled and (cardinality(r.channel_ids) = 0 or c.id = any(r.channel_ids))
      where ins.suppressed is null
      returning id
    )
    select (select count(*) from ins)::int as alerts,
      (select pg_notify(${OUTBOX_CHANNEL}, min(id)::text || '-' || max(id)::text) from del having count(*) > 0) as notified`;
  return result?.alerts ?? 0;
}

interface LoadedRule extends MentionRule {
  watchlistId: number;
  app: string;
  muted: boolean;
  digestMinutes: number;
}

/**
 * The alert stage the pipeline calls inside the storing transaction: low-rating, complaint and
 * keyword rules of the page's watchlist, in two statements per page (rules, then the outbox write).
 */
export function createAlertStage(): AlertStage {
  return {
    async onStored(tx, mentions) {
      if (mentions.length === 0) return 0;
      const watchlistIds = [...new Set(mentions.map((m) => m.watchlistId))];
      const rules = await tx<LoadedRule[]>`
        select r.id, r.kind, r.severity, r.params, r.cooldown_sec as "cooldownSec", r.cooldown_by as "cooldownBy",
          r.watchlist_id as "watchlistId", a.name as app,
          coalesce(s.muted, false) as muted, coalesce(s.digest_minutes, 0) as "digestMinutes"
        from alert_rules r
        join watchlists w on w.id = r.watchlist_id
        join apps a on a.id = w.app_id
        left join alert_settings s on s.watchlist_id = w.id
        where r.watchlist_id = any(${tx.array(watchlistIds, T.int)}::int[]) and r.enabled
          and r.kind in ('low_rating', 'complaint', 'keyword')
        order by r.id`;
      if (rules.length === 0) return 0;
      return writeAlerts(tx, mentionCandidates(rules, mentions));
    },
  };
}

/** Which rules fire for which mentions; within a page only the first per cooldown key is delivered. */
export function mentionCandidates(rules: readonly LoadedRule[], mentions: readonly StoredMention[]): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  const cooled = new Set<string>();
  for (const m of mentions) {
    for (const rule of rules) {
      if (rule.watchlistId !== m.watchlistId) continue;
      const match = evaluateMention(rule, m);
      if (!match) continue;
      const key = cooldownKey(rule, m);
      let suppressed: AlertCandidate["suppressed"] = rule.muted ? "muted" : null;
      if (!suppressed && key) {
        const pageKey = `${rule.id}\u0000${key}`;
        if (cooled.has(pageKey)) suppressed = "cooldown";
        cooled.add(pageKey);
      }
      out.push({
        ruleId: rule.id,
        watchlistId: m.watchlistId,
        kind: rule.kind,
        severity: rule.severity,
        mentionId: m.id,
        dedupKey: mentionDedupKey(rule.id, m),
        cooldownKey: key,
        cooldownSec: rule.cooldownSec,
        suppressed,
        payload: mentionPayload(rule.kind, rule.app, m, match),
        digestMinutes: rule.digestMinutes,
      });
    }
  }
  return out;
}
