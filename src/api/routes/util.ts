import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { reconcileChangedSchedulers, type ReconcileResult } from "../../../jobs/schedulers.ts";
import type { ApiRole } from "../../db/schema.ts";
import { errorMessage } from "../../errors.ts";
import { recordAudit, type AuditInput } from "../audit.ts";
import type { ApiContext } from "../context.ts";
import { ApiError, parseInput } from "../errors.ts";

/** Role sets used across routes. Admins may do everything but ingest. */
export const R = {
  admin: ["admin"],
  adminOperator: ["admin", "operator"],
  readers: ["admin", "analyst", "operator"],
  analysts: ["admin", "analyst"],
  ingest: ["ingest"],
} as const satisfies Record<string, readonly ApiRole[]>;

/** A zod schema as a JSON schema for the OpenAPI document (input shape, before transforms). */
export function doc(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
}

export const idParams = z.object({ id: z.coerce.number().int().positive("must be a positive number") });

/** The numeric :id of a route. */
export function idOf(request: FastifyRequest): number {
  return parseInput(idParams, request.params).id;
}

/** The caller, for audit entries and created_by columns. */
export function actorOf(request: FastifyRequest): string {
  if (!request.principal) throw new ApiError(401, "log in: send Authorization: Bearer <token>");
  return request.principal.actor;
}

/** Records a change made through the API by the request's caller. */
export async function audit(ctx: ApiContext, request: FastifyRequest, entry: Omit<AuditInput, "actor" | "role">): Promise<void> {
  await recordAudit(ctx.database.db, { ...entry, actor: actorOf(request), role: request.principal?.role ?? null });
}

/**
 * Brings the changed watchlists' job schedulers in line with Postgres right after a change. A
 * Redis outage does not undo the change: the worker reconciles again when it starts.
 */
export async function reconcile(ctx: ApiContext): Promise<ReconcileResult | { error: string }> {
  try {
    return await reconcileChangedSchedulers(ctx.database.db, ctx.queue);
  } catch (err) {
    ctx.logger.warn({ err: errorMessage(err) }, "schedules not reconciled after a change");
    return { error: `schedules not updated now (${errorMessage(err)}); the worker updates them when it starts` };
  }
}

/** Query-string booleans. */
export const boolish = z
  .enum(["true", "false", "1", "0"], { message: "must be true or false" })
  .transform((v) => v === "true" || v === "1");

/** Route schema metadata for the OpenAPI document. */
export function meta(tag: string, summary: string, parts: { querystring?: z.ZodType; body?: z.ZodType; params?: boolean } = {}) {
  return {
    tags: [tag],
    summary,
    ...(parts.querystring ? { querystring: doc(parts.querystring) } : {}),
    ...(parts.body ? { body: doc(parts.body) } : {}),
    ...(parts.params ? { params: doc(idParams) } : {}),
  };
}
