import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { apiRoles } from "../../db/schema.ts";
import type { ApiContext } from "../context.ts";
import { notFound, parseInput } from "../errors.ts";
import { createToken, listTokens, revokeToken } from "../tokens.ts";
import { actorOf, audit, boolish, idOf, meta, R } from "./util.ts";

const createBody = z
  .object({
    name: z.string().trim().min(1, "give the token a name (who or what uses it)").max(100),
    role: z.enum(apiRoles, { message: `must be one of ${apiRoles.join(", ")}` }),
  })
  .strict();

/** /api/tokens: admins create, list and revoke API tokens. A new token is shown once. */
export async function tokenRoutes(api: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { db } = ctx.database;
  const listQuery = z.object({ revoked: boolish.optional() }).strict();

  api.get("/tokens", { config: { roles: R.admin }, schema: meta("tokens", "List tokens (never their secrets)", { querystring: listQuery }) }, async (request) => {
    const q = parseInput(listQuery, request.query);
    return listTokens(db, { includeRevoked: q.revoked ?? false });
  });

  api.post("/tokens", { config: { roles: R.admin }, schema: meta("tokens", "Create a token; the answer holds it in clear, once", { body: createBody }) }, async (request, reply) => {
    const input = parseInput(createBody, request.body);
    const { token, row } = await createToken(db, { ...input, createdBy: actorOf(request) });
    const { tokenHash: _hash, ...shown } = row;
    await audit(ctx, request, { action: "create", entity: "token", entityId: row.id, after: shown });
    return reply.status(201).send({ ...shown, token });
  });

  api.delete("/tokens/:id", { config: { roles: R.admin }, schema: meta("tokens", "Revoke a token (it stops working at once)", { params: true }) }, async (request) => {
    const id = idOf(request);
    const before = await revokeToken(db, id);
    if (!before) throw notFound(`live token ${id}`);
    const { tokenHash: _hash, ...shown } = before;
    await audit(ctx, request, { action: "revoke", entity: "token", entityId: id, before: shown });
    return { revoked: id };
  });
}
