import { eq } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { apps, appSettings } from "../../db/schema.ts";
import type { ApiContext } from "../context.ts";
import { notFound, parseInput } from "../errors.ts";
import { deleteByAuthor, getAppSettings, requireAuthorKey, runRetention } from "../privacy.ts";
import { actorOf, audit, idOf, meta, R } from "./util.ts";

const settingsBody = z
  .object({
    retentionDays: z.number().int().min(1, "must be at least 1 day (or null to keep mentions)").max(36500).nullable().optional(),
    pseudonymiseAuthors: z.boolean().optional(),
  })
  .strict();
const deleteAuthorBody = z.object({ author: z.string().min(1, "give the author's name as the site shows it"), app: z.number().int().positive().optional() }).strict();

/** Privacy and retention settings per app, delete-by-author and a retention sweep on demand (admins). */
export async function privacyRoutes(api: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { db } = ctx.database;

  api.get("/apps/:id/settings", { config: { roles: R.admin }, schema: meta("privacy", "An app's retention and pseudonymisation settings", { params: true }) }, async (request) => {
    const id = idOf(request);
    const [app] = await db.select({ id: apps.id }).from(apps).where(eq(apps.id, id));
    if (!app) throw notFound(`app ${id}`);
    return getAppSettings(ctx.database, id);
  });

  api.put("/apps/:id/settings", { config: { roles: R.admin }, schema: meta("privacy", "Set retention (days) and author pseudonymisation for an app", { params: true, body: settingsBody }) }, async (request) => {
    const id = idOf(request);
    const body = parseInput(settingsBody, request.body);
    const [app] = await db.select({ id: apps.id }).from(apps).where(eq(apps.id, id));
    if (!app) throw notFound(`app ${id}`);
    if (body.pseudonymiseAuthors) requireAuthorKey();
    const before = await getAppSettings(ctx.database, id);
    const values = {
      appId: id,
      retentionDays: body.retentionDays === undefined ? before.retentionDays : body.retentionDays,
      pseudonymiseAuthors: body.pseudonymiseAuthors ?? before.pseudonymiseAuthors,
      updatedBy: actorOf(request),
      updatedAt: new Date(),
    };
    const [after] = await db.insert(appSettings).values(values).onConflictDoUpdate({ target: appSettings.appId, set: values }).returning();
    await audit(ctx, request, { action: "update", entity: "app_settings", entityId: id, before, after });
    return after;
  });

  api.post("/privacy/retention/run", { config: { roles: R.admin }, schema: meta("privacy", "Apply retention and pseudonymisation now (also runs hourly)") }, async (request) => {
    const result = await runRetention(ctx.database);
    await audit(ctx, request, { action: "retention", entity: "mentions", after: result });
    return result;
  });

  api.post("/privacy/delete-by-author", { config: { roles: R.admin }, schema: meta("privacy", "Delete every mention by an author (a removal request)", { body: deleteAuthorBody }) }, async (request) => {
    const body = parseInput(deleteAuthorBody, request.body);
    const deleted = await deleteByAuthor(ctx.database, body.author, body.app);
    // The name itself is personal data: the audit log keeps only that a removal happened.
    await audit(ctx, request, { action: "delete-by-author", entity: "mentions", after: { deleted, app: body.app ?? null } });
    return { deleted };
  });
}
