import type { FastifyInstance } from "fastify";
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { ackAlert, addChannel, addRule, deliveryLogOf, listChannels, listRules, removeChannel, removeRule, resolveAlert, retryAlert, testChannel, updateChannel, updateRule } from "../../alerts/repo.ts";
import { alertRuleKinds, alertRules, alertSeverities, channels } from "../../db/schema.ts";
import { notifyQueue, redisConnection, type NotifyQueue } from "../../queues.ts";
import type { ApiContext } from "../context.ts";
import { ApiError, notFound, parseInput } from "../errors.ts";
import { isoOrNull, runSql } from "../sqltext.ts";
import { actorOf, audit, idOf, meta, R } from "./util.ts";

const kind = z.string().transform((k) => k.replace(/-/g, "_")).pipe(z.enum(alertRuleKinds, { message: `must be one of ${alertRuleKinds.join(", ")}` }));
const severity = z.enum(alertSeverities, { message: `must be one of ${alertSeverities.join(", ")}` });

const ruleBody = z
  .object({
    kind,
    watchlistId: z.number().int().positive().nullable().optional(),
    severity: severity.optional(),
    params: z.record(z.string(), z.unknown()).optional(),
    channelIds: z.array(z.number().int().positive()).optional(),
    cooldownSec: z.number().int().min(0).max(30 * 86400).optional(),
    cooldownBy: z.enum(["thread", "author"]).optional(),
  })
  .strict();
const rulePatch = ruleBody
  .omit({ kind: true, watchlistId: true })
  .extend({ params: z.record(z.string(), z.unknown()).optional().describe("merged into the current params"), enabled: z.boolean().optional() })
  .strict();

const channelBody = z
  .object({
    name: z.string().trim().min(1, "give the channel a name").max(100),
    kind: z.string(),
    target: z.string().optional().describe("webhook URL, or smtps:// URL for email"),
    secret: z.string().nullable().optional(),
    settings: z.record(z.string(), z.unknown()).optional(),
    allowPrivateTargets: z.boolean().optional(),
    allowInsecure: z.boolean().optional(),
  })
  .strict();
const channelPatch = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    enabled: z.boolean().optional(),
    target: z.string().optional().describe("a new webhook or smtps:// URL, checked as on creation"),
    secret: z.string().nullable().optional().describe("a new secret; null removes it"),
    settings: z.record(z.string(), z.unknown()).optional().describe("merged into the current settings"),
    allowPrivateTargets: z.boolean().optional(),
    allowInsecure: z.boolean().optional(),
  })
  .strict();

const inboxQuery = z
  .object({
    state: z.enum(["open", "acked", "resolved"], { message: "must be open, acked or resolved" }).optional(),
    severity: severity.optional(),
    kind: kind.optional(),
    app: z.string().optional(),
    q: z.string().max(200).optional().describe("text in the alert's title or excerpt"),
    before: z.coerce.number().int().positive().optional().describe("id of the last alert already shown (keyset)"),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();
const resolveBody = z.object({ note: z.string().trim().max(2000).nullable().optional() }).strict();

function likePattern(s: string): string {
  return `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** /api/rules and /api/channels (admins) and /api/alerts, the operators' inbox. */
export async function alertRoutes(api: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { db, sql: pg } = ctx.database;
  const alertConfig = ctx.config.alerts;
  let notify: { queue: NotifyQueue; close(): Promise<void> } | null = null;
  const notifyQ = () => {
    if (!notify) {
      const connection = redisConnection(ctx.config.redisUrl);
      const queue = notifyQueue(ctx.config, connection);
      notify = { queue, close: async () => { await queue.close(); connection.disconnect(); } };
    }
    return notify.queue;
  };
  api.addHook("onClose", async () => {
    await notify?.close();
  });

  const getRule = async (id: number) => (await db.select().from(alertRules).where(eq(alertRules.id, id)))[0];
  const getChannel = async (id: number) => (await listChannels(pg)).find((c) => c.id === id);

  // ---- rules ----
  api.get("/rules", { config: { roles: R.adminOperator }, schema: meta("rules", "List alert rules") }, async () => listRules(pg));

  api.post("/rules", { config: { roles: R.admin }, schema: meta("rules", "Create an alert rule", { body: ruleBody }) }, async (request, reply) => {
    const b = parseInput(ruleBody, request.body);
    const { id } = await addRule(pg, { ...b, by: actorOf(request) });
    const after = await getRule(id);
    await audit(ctx, request, { action: "create", entity: "rule", entityId: id, after });
    return reply.status(201).send(after);
  });

  api.patch("/rules/:id", { config: { roles: R.admin }, schema: meta("rules", "Change an alert rule (params are merged into the current ones)", { params: true, body: rulePatch }) }, async (request) => {
    const id = idOf(request);
    const b = parseInput(rulePatch, request.body);
    const before = await getRule(id);
    if (!before || !(await updateRule(pg, id, b))) throw notFound(`rule ${id}`);
    const after = await getRule(id);
    await audit(ctx, request, { action: "update", entity: "rule", entityId: id, before, after });
    return after;
  });

  for (const [action, enabled] of [["disable", false], ["enable", true]] as const) {
    api.post(`/rules/:id/${action}`, { config: { roles: R.admin }, schema: meta("rules", `${action === "disable" ? "Pause" : "Resume"} an alert rule`, { params: true }) }, async (request) => {
      const id = idOf(request);
      const before = await getRule(id);
      if (!before || !(await updateRule(pg, id, { enabled }))) throw notFound(`rule ${id}`);
      const after = await getRule(id);
      await audit(ctx, request, { action, entity: "rule", entityId: id, before, after });
      return after;
    });
  }

  api.delete("/rules/:id", { config: { roles: R.admin }, schema: meta("rules", "Delete an alert rule", { params: true }) }, async (request) => {
    const id = idOf(request);
    const before = await getRule(id);
    if (!before || !(await removeRule(pg, id))) throw notFound(`rule ${id}`);
    await audit(ctx, request, { action: "delete", entity: "rule", entityId: id, before });
    return { deleted: id };
  });

  // ---- channels ----
  api.get("/channels", { config: { roles: R.admin }, schema: meta("channels", "List alert channels (targets redacted, secrets never shown)") }, async () => listChannels(pg));

  api.post("/channels", { config: { roles: R.admin }, schema: meta("channels", "Create an alert channel (its target is checked)", { body: channelBody }) }, async (request, reply) => {
    const b = parseInput(channelBody, request.body);
    const { id } = await addChannel(pg, { ...b, by: actorOf(request) });
    const after = await getChannel(id);
    await audit(ctx, request, { action: "create", entity: "channel", entityId: id, after });
    return reply.status(201).send(after);
  });

  api.patch("/channels/:id", { config: { roles: R.admin }, schema: meta("channels", "Change a channel in place: name, target, secret, settings, policy, enabled (its rules keep it)", { params: true, body: channelPatch }) }, async (request) => {
    const id = idOf(request);
    const b = parseInput(channelPatch, request.body);
    const before = await getChannel(id);
    if (!before) throw notFound(`channel ${id}`);
    if (b.name && b.name !== before.name) {
      const [dup] = await db.select({ id: channels.id }).from(channels).where(eq(channels.name, b.name));
      if (dup) throw new ApiError(409, `name: a channel named "${b.name}" exists already (id ${dup.id})`, "name");
    }
    await updateChannel(pg, id, b);
    const after = await getChannel(id);
    await audit(ctx, request, { action: "update", entity: "channel", entityId: id, before, after });
    return after;
  });

  for (const [action, enabled] of [["disable", false], ["enable", true]] as const) {
    api.post(`/channels/:id/${action}`, { config: { roles: R.admin }, schema: meta("channels", `${action === "disable" ? "Stop" : "Resume"} delivering to a channel`, { params: true }) }, async (request) => {
      const id = idOf(request);
      const before = await getChannel(id);
      if (!before) throw notFound(`channel ${id}`);
      await db.update(channels).set({ enabled, updatedAt: new Date() }).where(eq(channels.id, id));
      const after = await getChannel(id);
      await audit(ctx, request, { action, entity: "channel", entityId: id, before, after });
      return after;
    });
  }

  api.post("/channels/:id/test", { config: { roles: R.admin }, schema: meta("channels", "Send a test message to a channel now", { params: true }) }, async (request) => {
    const id = idOf(request);
    const lines: string[] = [];
    return { ...(await testChannel(pg, id, 10_000, (l) => lines.push(l))), printed: lines };
  });

  api.delete("/channels/:id", { config: { roles: R.admin }, schema: meta("channels", "Delete a channel", { params: true }) }, async (request) => {
    const id = idOf(request);
    const before = await getChannel(id);
    if (!before || !(await removeChannel(pg, id))) throw notFound(`channel ${id}`);
    await audit(ctx, request, { action: "delete", entity: "channel", entityId: id, before });
    return { deleted: id };
  });

  // ---- the inbox ----
  api.get("/alerts", { config: { roles: R.adminOperator }, schema: meta("alerts", "The alert inbox, newest first, with filters and keyset pages", { querystring: inboxQuery }) }, async (request) => {
    const q = parseInput(inboxQuery, request.query);
    const c = [sql`true`];
    if (q.state) c.push(sql`a.state = ${q.state}`);
    if (q.severity) c.push(sql`a.severity = ${q.severity}`);
    if (q.kind) c.push(sql`a.kind = ${q.kind}`);
    if (q.app) c.push(sql`(a.payload->>'app' = ${q.app} or exists (select 1 from apps p where ${q.app} = any(p.aliases) and p.name = a.payload->>'app'))`);
    if (q.q) c.push(sql`(a.payload->>'title' ilike ${likePattern(q.q)} or a.payload->'mention'->>'excerpt' ilike ${likePattern(q.q)})`);
    if (q.before) c.push(sql`a.id < ${q.before}::bigint`);
    const rows = await runSql<Record<string, unknown>>(
      pg,
      sql`select a.id, a.created_at as "createdAt", a.kind, a.severity, a.state, a.watchlist_id as "watchlistId", a.mention_id as "mentionId",
                 a.payload, a.suppressed, a.acked_by as "ackedBy", a.acked_at as "ackedAt", a.resolved_by as "resolvedBy",
                 a.resolved_at as "resolvedAt", a.note,
                 (select count(*) from deliveries d where d.alert_id = a.id and d.state = 'delivered')::int as delivered,
                 (select count(*) from deliveries d where d.alert_id = a.id and d.state = 'pending')::int as pending,
                 (select count(*) from deliveries d where d.alert_id = a.id and d.state = 'dead')::int as dead
          from alerts a where ${sql.join(c, sql` and `)} order by a.id desc limit ${q.limit}::int`,
    );
    const items = rows.map((r) => ({
      ...r,
      id: Number(r.id),
      mentionId: r.mentionId == null ? null : Number(r.mentionId),
      createdAt: isoOrNull(r.createdAt),
      ackedAt: isoOrNull(r.ackedAt),
      resolvedAt: isoOrNull(r.resolvedAt),
    }));
    return { items, nextBefore: items.length === q.limit ? items.at(-1)!.id : null };
  });

  const getAlert = async (id: number) =>
    (await runSql<Record<string, unknown>>(pg, sql`select id, state, acked_by, acked_at, resolved_by, resolved_at, note from alerts where id = ${id}::bigint`))[0];

  api.get("/alerts/:id", { config: { roles: R.adminOperator }, schema: meta("alerts", "One alert with every delivery attempt", { params: true }) }, async (request) => {
    const id = idOf(request);
    const [a] = await runSql<Record<string, unknown>>(pg, sql`select * from alerts where id = ${id}::bigint`);
    if (!a) throw notFound(`alert ${id}`);
    return { ...a, id: Number(a.id), deliveries: await deliveryLogOf(pg, id) };
  });

  api.post("/alerts/:id/ack", { config: { roles: R.adminOperator }, schema: meta("alerts", "Acknowledge an alert: someone is on it", { params: true }) }, async (request) => {
    const id = idOf(request);
    const before = await getAlert(id);
    await ackAlert(pg, id, actorOf(request));
    const after = await getAlert(id);
    await audit(ctx, request, { action: "ack", entity: "alert", entityId: id, before, after });
    return after;
  });

  api.post("/alerts/:id/resolve", { config: { roles: R.adminOperator }, schema: meta("alerts", "Resolve an alert with a note", { params: true, body: resolveBody }) }, async (request) => {
    const id = idOf(request);
    const b = parseInput(resolveBody, request.body ?? {});
    const before = await getAlert(id);
    await resolveAlert(pg, id, actorOf(request), b.note ?? null);
    const after = await getAlert(id);
    await audit(ctx, request, { action: "resolve", entity: "alert", entityId: id, before, after });
    return after;
  });

  api.post("/alerts/:id/retry", { config: { roles: R.adminOperator }, schema: meta("alerts", "Send an alert's dead deliveries again", { params: true }) }, async (request) => {
    const id = idOf(request);
    const retried = await retryAlert(pg, notifyQ(), id, alertConfig);
    if (retried === 0) throw new ApiError(409, `alert ${id} has no dead delivery to retry`);
    await audit(ctx, request, { action: "retry", entity: "alert", entityId: id, after: { retried } });
    return { retried };
  });

}
