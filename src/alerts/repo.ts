import type { Sql } from "../db/client.ts";
import { alertRuleKinds, channelKinds, type AlertRuleKind, type AlertSeverity, type AlertState, type ChannelKind } from "../db/schema.ts";
import { UsageError } from "../errors.ts";
import { senderFor } from "./channels/index.ts";
import type { OutgoingMessage } from "./channels/types.ts";
import type { AlertConfig } from "./config.ts";
import { loadChannel } from "./delivery.ts";
import { enqueueDeliveries, notifyJobId, type PendingDelivery } from "./enqueue.ts";
import { checkTimeZone, parseClock } from "./quiet.ts";
import { defaultSeverity, parseRuleParams, parseSeverity, ruleParamSchemas } from "./rules.ts";
import { redactSecrets, redactTarget, validateTarget } from "./safety.ts";
import type { NotifyQueue } from "../queues.ts";

export interface ChannelInput {
  name: string;
  kind: string;
  /** Webhook URL or smtp(s):// URL; ignored for the console. */
  target?: string | undefined;
  secret?: string | null | undefined;
  settings?: Record<string, unknown>;
  allowPrivateTargets?: boolean;
  allowInsecure?: boolean;
  by: string;
}

export function parseChannelKind(kind: string): ChannelKind {
  if (!(channelKinds as readonly string[]).includes(kind)) throw new UsageError(`kind: "${kind}" is not one of ${channelKinds.join(", ")}`);
  return kind as ChannelKind;
}

/** The channel's target once checked (scheme, and every address its host resolves to). */
async function checkedTarget(kind: ChannelKind, target: string | undefined, policy: { allowPrivateTargets: boolean; allowInsecure: boolean }): Promise<string> {
  const sender = senderFor(kind);
  if (!sender.schemes) return "console";
  if (!target) throw new UsageError(`url: a ${kind} channel needs its ${kind === "email" ? "smtps:// server" : "webhook"} URL`);
  try {
    return (await validateTarget(target, policy, sender.schemes)).toString();
  } catch (err) {
    throw new UsageError(`url: ${(err as Error).message}`);
  }
}

async function checkedName(sql: Sql, name: string, id: number | null): Promise<string> {
  const trimmed = name.trim();
  if (!trimmed) throw new UsageError("name: give the channel a name");
  const [dup] = await sql`select id from channels where name = ${trimmed} and id is distinct from ${id}::int`;
  if (dup) throw new UsageError(`name: a channel named "${trimmed}" exists already (id ${dup.id})`);
  return trimmed;
}

/** Saves a channel after checking its target. */
export async function addChannel(sql: Sql, input: ChannelInput): Promise<{ id: number }> {
  const kind = parseChannelKind(input.kind);
  const policy = { allowPrivateTargets: Boolean(input.allowPrivateTargets), allowInsecure: Boolean(input.allowInsecure) };
  const target = await checkedTarget(kind, input.target, policy);
  const settings = senderFor(kind).parseSettings(input.settings ?? {});
  const name = await checkedName(sql, input.name, null);
  const [row] = await sql<{ id: number }[]>`
    insert into channels (name, kind, target, settings, secret, allow_private_targets, allow_insecure, created_by)
    values (${name}, ${kind}, ${target}, ${JSON.stringify(settings)}::jsonb, ${input.secret ?? null}, ${policy.allowPrivateTargets}, ${policy.allowInsecure}, ${input.by})
    returning id`;
  return row!;
}

/** What an admin may change on a channel; its kind stays (another kind is another channel). */
export interface ChannelPatch {
  name?: string | undefined;
  target?: string | undefined;
  /** A new secret (a rotated webhook or SMTP secret); null removes it. */
  secret?: string | null | undefined;
  /** Merged into the current settings. */
  settings?: Record<string, unknown> | undefined;
  allowPrivateTargets?: boolean | undefined;
  allowInsecure?: boolean | undefined;
  enabled?: boolean | undefined;
}

/**
 * Changes a channel in place, so its rules keep pointing at it; deliveries not yet sent go to the
 * new target. The target is checked again whenever it or the policy changes: narrowing the policy
 * must not leave a private or plain-http target behind. Returns false when there is no such channel.
 */
export async function updateChannel(sql: Sql, id: number, patch: ChannelPatch): Promise<boolean> {
  const [c] = await sql<{ kind: ChannelKind; target: string; settings: Record<string, unknown>; allowPrivateTargets: boolean; allowInsecure: boolean }[]>`
    select kind, target, settings, allow_private_targets as "allowPrivateTargets", allow_insecure as "allowInsecure" from channels where id = ${id}`;
  if (!c) return false;
  const policy = { allowPrivateTargets: patch.allowPrivateTargets ?? c.allowPrivateTargets, allowInsecure: patch.allowInsecure ?? c.allowInsecure };
  const recheck = patch.target !== undefined || patch.allowPrivateTargets !== undefined || patch.allowInsecure !== undefined;
  const target = recheck ? await checkedTarget(c.kind, patch.target ?? c.target, policy) : c.target;
  const settings = patch.settings ? senderFor(c.kind).parseSettings({ ...c.settings, ...patch.settings }) : c.settings;
  const name = patch.name !== undefined ? await checkedName(sql, patch.name, id) : null;
  await sql`
    update channels set
      name = coalesce(${name}, name), target = ${target}, settings = ${JSON.stringify(settings)}::jsonb,
      secret = case when ${patch.secret !== undefined} then ${patch.secret ?? null} else secret end,
      allow_private_targets = ${policy.allowPrivateTargets}, allow_insecure = ${policy.allowInsecure},
      enabled = coalesce(${patch.enabled ?? null}::bool, enabled), updated_at = now()
    where id = ${id}`;
  return true;
}

/** Channels as operators may see them: the target redacted, the secret only as "set". */
export async function listChannels(sql: Sql) {
  const rows = await sql<{ id: number; name: string; kind: ChannelKind; target: string; settings: Record<string, unknown>; hasSecret: boolean; allowPrivateTargets: boolean; allowInsecure: boolean; enabled: boolean; createdBy: string }[]>`
    select id, name, kind, target, settings, secret is not null as "hasSecret", allow_private_targets as "allowPrivateTargets",
      allow_insecure as "allowInsecure", enabled, created_by as "createdBy"
    from channels order by id`;
  return rows.map((r) => ({ ...r, target: r.kind === "console" ? "stdout" : redactTarget(r.target) }));
}

export async function removeChannel(sql: Sql, id: number): Promise<boolean> {
  const r = await sql`delete from channels where id = ${id}`;
  return r.count > 0;
}

/** Sends a test message to a channel now (the target is checked again), returning status and time. */
export async function testChannel(sql: Sql, id: number, timeoutMs: number, print: (line: string) => void = console.log): Promise<{ status: number | null; ms: number }> {
  const channel = await loadChannel(sql, id);
  if (!channel) throw new UsageError(`channel ${id} does not exist (see: earshot channel list)`);
  const sender = senderFor(channel.kind);
  if (sender.schemes) {
    try {
      await validateTarget(channel.target, channel, sender.schemes);
    } catch (err) {
      throw new UsageError(redactSecrets((err as Error).message, channel.target, [channel.secret]));
    }
  }
  const message: OutgoingMessage = { key: `test-${id}-${Date.now()}`, type: "test", alerts: [], sentAt: new Date() };
  const started = performance.now();
  const { status } = await sender.send(channel, message, { timeoutMs, print });
  return { status, ms: Math.round(performance.now() - started) };
}

export interface RuleInput {
  kind: string;
  watchlistId?: number | null | undefined;
  severity?: AlertSeverity | undefined;
  params?: Record<string, unknown>;
  channelIds?: number[];
  cooldownSec?: number;
  cooldownBy?: "thread" | "author";
  by: string;
}

export function parseRuleKind(kind: string): AlertRuleKind {
  const k = kind.replace(/-/g, "_");
  if (!(alertRuleKinds as readonly string[]).includes(k)) throw new UsageError(`kind: "${kind}" is not one of ${alertRuleKinds.map((x) => x.replace(/_/g, "-")).join(", ")}`);
  return k as AlertRuleKind;
}

export async function addRule(sql: Sql, input: RuleInput): Promise<{ id: number }> {
  const kind = parseRuleKind(input.kind);
  const params = parseRuleParams(kind, input.params ?? {});
  if (kind === "source_health") {
    if (input.watchlistId) throw new UsageError("watch: a source-health rule watches every source; leave --watch out");
  } else {
    if (!input.watchlistId) throw new UsageError(`watch: a ${kind.replace(/_/g, "-")} rule belongs to a watchlist (--watch ID)`);
    const [w] = await sql`select id from watchlists where id = ${input.watchlistId}`;
    if (!w) throw new UsageError(`watch: watchlist ${input.watchlistId} does not exist (see: earshot watch list)`);
  }
  const channelIds = input.channelIds ?? [];
  await checkChannelIds(sql, channelIds);
  const [row] = await sql<{ id: number }[]>`
    insert into alert_rules (watchlist_id, kind, severity, params, channel_ids, cooldown_sec, cooldown_by, created_by)
    values (${input.watchlistId ?? null}, ${kind}, ${input.severity ?? defaultSeverity[kind]}, ${JSON.stringify(params)}::jsonb,
      ${sql.array(channelIds, 23)}::int[], ${input.cooldownSec ?? 0}, ${input.cooldownBy ?? "thread"}, ${input.by})
    returning id`;
  return row!;
}

async function checkChannelIds(sql: Sql, channelIds: readonly number[]): Promise<void> {
  if (channelIds.length === 0) return;
  const found = await sql<{ id: number }[]>`select id from channels where id = any(${sql.array([...channelIds], 23)}::int[])`;
  const missing = channelIds.filter((c) => !found.some((f) => f.id === c));
  if (missing.length) throw new UsageError(`channels: no channel ${missing.join(", ")} (see: earshot channel list)`);
}

/** What an admin may change on a rule; its kind and watchlist stay (another kind is another rule). */
export interface RulePatch {
  severity?: AlertSeverity | undefined;
  /** Merged into the current params, then checked for the rule's kind. */
  params?: Record<string, unknown> | undefined;
  /** Empty: every enabled channel. */
  channelIds?: number[] | undefined;
  /** 0 turns the cooldown off. */
  cooldownSec?: number | undefined;
  cooldownBy?: "thread" | "author" | undefined;
  enabled?: boolean | undefined;
}

/**
 * Changes a rule in place (`earshot rule edit`, PATCH /api/rules/:id). Params are merged into the
 * current ones, so one option changes alone; a param the rule's kind does not take is refused
 * rather than dropped. Returns false when there is no such rule.
 */
export async function updateRule(sql: Sql, id: number, patch: RulePatch): Promise<boolean> {
  const [rule] = await sql<{ kind: AlertRuleKind; params: Record<string, unknown> }[]>`select kind, params from alert_rules where id = ${id}`;
  if (!rule) return false;
  let params: Record<string, unknown> | null = null;
  if (patch.params !== undefined) {
    const known = Object.keys(ruleParamSchemas[rule.kind].shape);
    const unknown = Object.keys(patch.params).filter((k) => !known.includes(k));
    if (unknown.length) throw new UsageError(`params: a ${rule.kind.replace(/_/g, "-")} rule has no ${unknown.join(", ")} (it takes ${known.join(", ")})`);
    params = parseRuleParams(rule.kind, { ...rule.params, ...patch.params });
  }
  if (patch.severity !== undefined) parseSeverity(patch.severity);
  if (patch.cooldownSec !== undefined && !(Number.isInteger(patch.cooldownSec) && patch.cooldownSec >= 0)) {
    throw new UsageError(`cooldown: ${patch.cooldownSec} is not a whole number of seconds`);
  }
  if (patch.cooldownBy !== undefined && patch.cooldownBy !== "thread" && patch.cooldownBy !== "author") {
    throw new UsageError(`cooldown-by: "${String(patch.cooldownBy)}" is not thread or author`);
  }
  if (patch.channelIds) await checkChannelIds(sql, patch.channelIds);
  await sql`
    update alert_rules set
      params = coalesce(${params ? JSON.stringify(params) : null}::jsonb, params),
      severity = coalesce(${patch.severity ?? null}, severity),
      channel_ids = coalesce(${patch.channelIds ? sql.array(patch.channelIds, 23) : null}::int[], channel_ids),
      cooldown_sec = coalesce(${patch.cooldownSec ?? null}::int, cooldown_sec),
      cooldown_by = coalesce(${patch.cooldownBy ?? null}, cooldown_by),
      enabled = coalesce(${patch.enabled ?? null}::bool, enabled),
      updated_at = now()
    where id = ${id}`;
  return true;
}

export async function listRules(sql: Sql, watchlistId?: number) {
  return sql<{ id: number; watchlistId: number | null; app: string | null; kind: AlertRuleKind; severity: AlertSeverity; params: Record<string, unknown>; channelIds: number[]; cooldownSec: number; cooldownBy: string; enabled: boolean }[]>`
    select r.id, r.watchlist_id as "watchlistId", a.name as app, r.kind, r.severity, r.params, r.channel_ids as "channelIds",
      r.cooldown_sec as "cooldownSec", r.cooldown_by as "cooldownBy", r.enabled
    from alert_rules r left join watchlists w on w.id = r.watchlist_id left join apps a on a.id = w.app_id
    ${watchlistId ? sql`where r.watchlist_id = ${watchlistId}` : sql``}
    order by r.id`;
}

export async function removeRule(sql: Sql, id: number): Promise<boolean> {
  const r = await sql`delete from alert_rules where id = ${id}`;
  return r.count > 0;
}

export interface AlertSettingsPatch {
  muted?: boolean;
  digestMinutes?: number;
  quiet?: { start: string; end: string } | null;
  timezone?: string;
  breakthrough?: AlertSeverity;
}

/** Noise control of one watchlist: mute, digest window, quiet hours and the severity that breaks through. */
export async function updateAlertSettings(sql: Sql, watchlistId: number, patch: AlertSettingsPatch, by: string): Promise<void> {
  const [w] = await sql`select id from watchlists where id = ${watchlistId}`;
  if (!w) throw new UsageError(`watch: watchlist ${watchlistId} does not exist (see: earshot watch list)`);
  if (patch.quiet) {
    parseClock(patch.quiet.start, "quiet start");
    parseClock(patch.quiet.end, "quiet end");
  }
  if (patch.timezone) checkTimeZone(patch.timezone);
  await sql`insert into alert_settings (watchlist_id, updated_by) values (${watchlistId}, ${by}) on conflict do nothing`;
  await sql`
    update alert_settings set
      muted = coalesce(${patch.muted ?? null}::bool, muted),
      digest_minutes = coalesce(${patch.digestMinutes ?? null}::int, digest_minutes),
      quiet_start = case when ${patch.quiet !== undefined} then ${patch.quiet?.start ?? null} else quiet_start end,
      quiet_end = case when ${patch.quiet !== undefined} then ${patch.quiet?.end ?? null} else quiet_end end,
      timezone = coalesce(${patch.timezone ?? null}, timezone),
      breakthrough = coalesce(${patch.breakthrough ?? null}, breakthrough),
      updated_by = ${by}, updated_at = now()
    where watchlist_id = ${watchlistId}`;
}

export interface AlertRow {
  id: number;
  createdAt: Date;
  kind: AlertRuleKind;
  severity: AlertSeverity;
  state: AlertState;
  app: string | null;
  title: string;
  url: string | null;
  suppressed: string | null;
  delivered: number;
  pending: number;
  dead: number;
  ackedBy: string | null;
  ackedAt: Date | null;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  note: string | null;
}

export async function listAlerts(sql: Sql, filter: { state?: AlertState | undefined; app?: string | undefined; limit: number }): Promise<AlertRow[]> {
  const rows = await sql<(AlertRow & { id: string })[]>`
    select a.id, a.created_at as "createdAt", a.kind, a.severity, a.state, a.payload->>'app' as app, a.payload->>'title' as title,
      a.payload->'mention'->>'url' as url, a.suppressed,
      count(d.id) filter (where d.state = 'delivered')::int as delivered,
      count(d.id) filter (where d.state = 'pending')::int as pending,
      count(d.id) filter (where d.state = 'dead')::int as dead,
      a.acked_by as "ackedBy", a.acked_at as "ackedAt", a.resolved_by as "resolvedBy", a.resolved_at as "resolvedAt", a.note
    from alerts a left join deliveries d on d.alert_id = a.id
    where true
      ${filter.state ? sql`and a.state = ${filter.state}` : sql``}
      ${filter.app ? sql`and (a.payload->>'app' = ${filter.app} or exists (select 1 from apps p where ${filter.app} = any(p.aliases) and p.name = a.payload->>'app'))` : sql``}
    group by a.id order by a.id desc limit ${filter.limit}`;
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

/** Marks an alert acknowledged (someone is on it), recording who and when. */
export async function ackAlert(sql: Sql, id: number, by: string): Promise<void> {
  const r = await sql`update alerts set state = 'acked', acked_by = ${by}, acked_at = now() where id = ${id} and state = 'open'`;
  if (r.count === 0) await explainMissing(sql, id, "open");
}

/** Marks an alert resolved with a note, recording who and when. */
export async function resolveAlert(sql: Sql, id: number, by: string, note: string | null): Promise<void> {
  const r = await sql`
    update alerts set state = 'resolved', resolved_by = ${by}, resolved_at = now(), note = coalesce(${note}, note)
    where id = ${id} and state <> 'resolved'`;
  if (r.count === 0) await explainMissing(sql, id, "open or acked");
}

async function explainMissing(sql: Sql, id: number, wanted: string): Promise<never> {
  const [a] = await sql`select state from alerts where id = ${id}`;
  if (!a) throw new UsageError(`alert ${id} does not exist (see: earshot alerts list)`);
  throw new UsageError(`alert ${id} is ${a.state}, not ${wanted}`);
}

/**
 * Sends an alert's dead deliveries again, each on its own (out of any digest), with a fresh set
 * of tries. Returns how many were re-enqueued.
 */
export async function retryAlert(sql: Sql, queue: NotifyQueue, id: number, config: Pick<AlertConfig, "attempts" | "backoffMs">): Promise<number> {
  const [a] = await sql`select id from alerts where id = ${id}`;
  if (!a) throw new UsageError(`alert ${id} does not exist (see: earshot alerts list)`);
  const before = await sql<PendingDelivery[]>`
    select d.id, d.alert_id as "alertId", d.channel_id as "channelId", a.watchlist_id as "watchlistId", d.digest_until as "digestUntil"
    from deliveries d join alerts a on a.id = d.alert_id where d.alert_id = ${id} and d.state = 'dead'`;
  if (before.length === 0) return 0;
  // The failed jobs keep their ids: remove them so the same ids can be added again.
  for (const d of before) await queue.remove(notifyJobId(d)).catch(() => 0);
  for (const d of before) await queue.remove(notifyJobId({ ...d, digestUntil: null })).catch(() => 0);
  const rows = await sql<PendingDelivery[]>`
    update deliveries d set state = 'pending', digest_until = null, last_error = null, updated_at = now()
    from alerts a where a.id = d.alert_id and d.alert_id = ${id} and d.state = 'dead'
    returning d.id, d.alert_id as "alertId", d.channel_id as "channelId", a.watchlist_id as "watchlistId", d.digest_until as "digestUntil"`;
  await enqueueDeliveries(queue, rows, config);
  return rows.length;
}

/** Every attempt of an alert's deliveries (for `alerts show`). */
export async function deliveryLogOf(sql: Sql, alertId: number) {
  return sql<{ channel: string; state: string; attempt: number; at: Date; statusCode: number | null; latencyMs: number | null; error: string | null }[]>`
    select c.name as channel, d.state, l.attempt, l.at, l.status_code as "statusCode", l.latency_ms as "latencyMs", l.error
    from delivery_log l join deliveries d on d.id = l.delivery_id join channels c on c.id = d.channel_id
    where d.alert_id = ${alertId} order by l.id`;
}
