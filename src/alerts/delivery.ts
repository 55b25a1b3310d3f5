import type { Logger } from "pino";
import type { Sql } from "../db/client.ts";
import type { AlertRuleKind, AlertSeverity, ChannelKind } from "../db/schema.ts";
import { senderFor } from "./channels/index.ts";
import { RetryLaterError, UndeliverableError, type ChannelConfig, type OutgoingMessage } from "./channels/types.ts";
import type { AlertPayload, AlertView } from "./payload.ts";
import { quietUntil } from "./quiet.ts";
import { severityRank } from "./rules.ts";
import { redactSecrets } from "./safety.ts";

/** What one notify job sends: one alert to one channel, or one digest window of a watchlist. */
export type DeliveryTarget =
  | { kind: "one"; alertId: number; channelId: number }
  | { kind: "digest"; channelId: number; watchlistId: number | null; until: string };

export interface DeliveryDeps {
  sql: Sql;
  logger: Logger;
  timeoutMs: number;
  /** Where the console channel prints. @default stdout */
  print?: (line: string) => void;
  now?: () => Date;
}

export type DeliveryOutcome =
  | { result: "delivered"; status: number | null; count: number }
  | { result: "skipped"; reason: string }
  | { result: "quiet"; until: Date }
  /** Another worker holds these deliveries while it sends them: look again when its claim runs out. */
  | { result: "held"; until: Date }
  | { result: "retry"; error: string }
  | { result: "dead"; error: string };

interface PendingRow {
  deliveryId: string;
  attempts: number;
  alertId: string;
  ruleId: number | null;
  watchlistId: number | null;
  kind: AlertRuleKind;
  severity: AlertSeverity;
  payload: AlertPayload;
  createdAt: Date;
}

/** The idempotency key receivers get: the alert id, or the digest window's key. */
export function messageKey(target: DeliveryTarget): string {
  return target.kind === "one" ? String(target.alertId) : `digest-${target.channelId}-${target.watchlistId ?? 0}-${Math.floor(new Date(target.until).getTime() / 1000)}`;
}

export function alertView(r: Pick<PendingRow, "alertId" | "ruleId" | "watchlistId" | "kind" | "severity" | "payload" | "createdAt">): AlertView {
  return { ...r.payload, id: Number(r.alertId), kind: r.kind, severity: r.severity, ruleId: r.ruleId, watchlistId: r.watchlistId, createdAt: new Date(r.createdAt).toISOString() };
}

export async function loadChannel(sql: Sql, id: number): Promise<(ChannelConfig & { enabled: boolean }) | null> {
  const [c] = await sql<(ChannelConfig & { enabled: boolean })[]>`
    select id, name, kind, target, settings, secret, allow_private_targets as "allowPrivateTargets",
      allow_insecure as "allowInsecure", enabled
    from channels where id = ${id}`;
  return c ?? null;
}

/**
 * Sends what a notify job stands for, if it is still pending: skips what was delivered already
 * (a redelivered job), waits out quiet hours, records the attempt in the delivery log, and marks
 * the deliveries delivered, or dead when retrying cannot help or this was the last try.
 */
export async function deliver(deps: DeliveryDeps, target: DeliveryTarget, isLastTry: boolean): Promise<DeliveryOutcome> {
  const { sql } = deps;
  const now = deps.now?.() ?? new Date();
  const claim = await claimPending(sql, target, deps.timeoutMs);
  if (claim.held) return { result: "held", until: claim.held };
  const rows = claim.rows;
  if (rows.length === 0) return { result: "skipped", reason: "nothing pending (delivered already, or retried by hand)" };
  const ids = rows.map((r) => r.deliveryId);

  const channel = await loadChannel(sql, target.channelId);
  if (!channel || !channel.enabled) {
    const error = channel ? `channel ${channel.name} is disabled` : `channel ${target.channelId} no longer exists`;
    await record(sql, ids, { state: "dead", status: null, latencyMs: null, error });
    return { result: "dead", error };
  }

  const watchlistId = rows[0]!.watchlistId;
  if (watchlistId !== null) {
    const [s] = await sql<{ quietStart: string | null; quietEnd: string | null; timezone: string; breakthrough: AlertSeverity }[]>`
      select quiet_start as "quietStart", quiet_end as "quietEnd", timezone, breakthrough from alert_settings where watchlist_id = ${watchlistId}`;
    if (s) {
      const until = quietUntil(now, { start: s.quietStart, end: s.quietEnd, timezone: s.timezone });
      const worst = Math.max(...rows.map((r) => severityRank(r.severity)));
      if (until && worst < severityRank(s.breakthrough)) {
        await sql`update deliveries set claimed_until = null where id = any(${sql.array(ids, 20)}::int8[])`;
        return { result: "quiet", until };
      }
    }
  }

  const message: OutgoingMessage = {
    key: messageKey(target),
    type: target.kind === "one" ? "alert" : "digest",
    alerts: rows.map(alertView),
    sentAt: now,
  };
  const started = performance.now();
  try {
    const { status } = await senderFor(channel.kind as ChannelKind).send(channel, message, {
      timeoutMs: deps.timeoutMs,
      print: deps.print ?? ((line) => process.stdout.write(`${line}\n`)),
    });
    await record(sql, ids, { state: "delivered", status, latencyMs: Math.round(performance.now() - started), error: null });
    return { result: "delivered", status, count: rows.length };
  } catch (err) {
    const latencyMs = Math.round(performance.now() - started);
    const status = err instanceof RetryLaterError || err instanceof UndeliverableError ? err.status : null;
    const error = redactSecrets(err instanceof Error ? err.message : String(err), channel.target, [channel.secret]);
    const dead = err instanceof UndeliverableError || isLastTry;
    await record(sql, ids, { state: dead ? "dead" : "pending", status, latencyMs, error });
    deps.logger.warn({ channel: channel.name, key: message.key, status, error, dead }, "alert delivery failed");
    return dead ? { result: "dead", error } : { result: "retry", error };
  }
}

/**
 * Takes the pending deliveries of a target for the length of one send, so that two workers
 * running the same job (a job Redis lost and the sweeper re-added, or one wrongly judged stalled)
 * never both send it. A worker that dies holding a claim only delays the delivery until it expires.
 */
async function claimPending(sql: Sql, target: DeliveryTarget, timeoutMs: number): Promise<{ rows: PendingRow[]; held: Date | null }> {
  const leaseMs = timeoutMs + CLAIM_MARGIN_MS;
  const rows =
    target.kind === "one"
      ? await sql<PendingRow[]>`
          with claimed as (
            update deliveries d set claimed_until = clock_timestamp() + ${leaseMs} * interval '1 millisecond'
            where d.alert_id = ${target.alertId} and d.channel_id = ${target.channelId} and d.state = 'pending'
              and (d.claimed_until is null or d.claimed_until < clock_timestamp())
            returning d.id, d.attempts, d.alert_id)
          select c.id as "deliveryId", c.attempts, a.id as "alertId", a.rule_id as "ruleId", a.watchlist_id as "watchlistId",
            a.kind, a.severity, a.payload, a.created_at as "createdAt"
          from claimed c join alerts a on a.id = c.alert_id`
      : await sql<PendingRow[]>`
          with claimed as (
            update deliveries d set claimed_until = clock_timestamp() + ${leaseMs} * interval '1 millisecond'
            from alerts a
            where a.id = d.alert_id and d.channel_id = ${target.channelId} and d.digest_until = ${target.until}::timestamptz
              and a.watchlist_id is not distinct from ${target.watchlistId}::int and d.state = 'pending'
              and (d.claimed_until is null or d.claimed_until < clock_timestamp())
            returning d.id, d.attempts, d.alert_id)
          select c.id as "deliveryId", c.attempts, a.id as "alertId", a.rule_id as "ruleId", a.watchlist_id as "watchlistId",
            a.kind, a.severity, a.payload, a.created_at as "createdAt"
          from claimed c join alerts a on a.id = c.alert_id
          order by a.id`;
  if (rows.length > 0) return { rows, held: null };
  const [held] =
    target.kind === "one"
      ? await sql<{ until: Date | null }[]>`
          select max(claimed_until) as until from deliveries
          where alert_id = ${target.alertId} and channel_id = ${target.channelId} and state = 'pending' and claimed_until >= clock_timestamp()`
      : await sql<{ until: Date | null }[]>`
          select max(d.claimed_until) as until from deliveries d join alerts a on a.id = d.alert_id
          where d.channel_id = ${target.channelId} and d.digest_until = ${target.until}::timestamptz
            and a.watchlist_id is not distinct from ${target.watchlistId}::int and d.state = 'pending' and d.claimed_until >= clock_timestamp()`;
  return { rows, held: held?.until ? new Date(held.until) : null };
}

/** How much longer than the send timeout a claim lasts: time to record the outcome. */
const CLAIM_MARGIN_MS = 30_000;

/** One statement for the state, one for the log: a digest's deliveries move together. */
async function record(
  sql: Sql,
  deliveryIds: readonly string[],
  a: { state: "delivered" | "pending" | "dead"; status: number | null; latencyMs: number | null; error: string | null },
): Promise<void> {
  await sql.begin(async (tx) => {
    const updated = await tx<{ id: string; attempts: number }[]>`
      update deliveries set state = ${a.state}, attempts = attempts + 1, last_status = ${a.status}, last_error = ${a.error}, claimed_until = null,
        updated_at = now(), delivered_at = case when ${a.state} = 'delivered' then now() end
      where id = any(${tx.array(deliveryIds as string[], 20)}::int8[])
      returning id, attempts`;
    await tx`
      insert into delivery_log (delivery_id, attempt, status_code, latency_ms, error)
      select u.id, u.attempt, ${a.status}::int, ${a.latencyMs}::int, ${a.error}
      from unnest(${tx.array(updated.map((r) => r.id), 20)}::int8[], ${tx.array(updated.map((r) => r.attempts), 23)}::int[]) as u(id, attempt)`;
  });
}
