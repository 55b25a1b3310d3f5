import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { listAudit } from "../audit.ts";
import type { ApiContext } from "../context.ts";
import { parseInput } from "../errors.ts";
import { meta, R } from "./util.ts";

const auditQuery = z
  .object({
    entity: z.string().optional(),
    entityId: z.string().optional(),
    before: z.coerce.number().int().positive().optional().describe("id of the oldest entry already shown"),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

/** /api/audit: who changed what and when, newest first (admins). */
export async function auditRoutes(api: FastifyInstance, ctx: ApiContext): Promise<void> {
  api.get("/audit", { config: { roles: R.admin }, schema: meta("audit", "The audit log of changes by admins and operators", { querystring: auditQuery }) }, async (request) => {
    const q = parseInput(auditQuery, request.query);
    return listAudit(ctx.database.db, { entity: q.entity, entityId: q.entityId, beforeId: q.before, limit: q.limit });
  });
}
