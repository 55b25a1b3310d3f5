import { asc, eq, sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { appFields } from "../../apps.ts";
import { apps, appSettings, watchlists } from "../../db/schema.ts";
import { upsertApp } from "../../db/repo/watchlists.ts";
import type { ApiContext } from "../context.ts";
import { ApiError, notFound, parseInput } from "../errors.ts";
import { actorOf, audit, idOf, meta, R, reconcile } from "./util.ts";

const createApp = z.object({ ...appFields, aliases: appFields.aliases.optional(), appstoreId: appFields.appstoreId.optional(), appstoreCountries: appFields.appstoreCountries.optional(), playPackage: appFields.playPackage.optional(), playLangs: appFields.playLangs.optional(), taptapId: appFields.taptapId.optional(), taptapRegion: appFields.taptapRegion.optional() }).strict();
const patchApp = createApp.partial().strict();

async function getApp(ctx: ApiContext, id: number) {
  const [row] = await ctx.database.db.select().from(apps).where(eq(apps.id, id));
  return row;
}

/** /api/apps: the apps listened for, their store ids. Admins change them; everyone reads them. */
export async function appRoutes(api: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { db } = ctx.database;

  api.get("/apps", { config: { roles: R.readers }, schema: meta("apps", "List apps with their watchlist counts and privacy settings") }, async () => {
    const rows = await db
      .select({
        app: apps,
        watchlists: sql<number>`(select count(*)::int from watchlists w where w.app_id = ${apps.id})`,
        retentionDays: appSettings.retentionDays,
        pseudonymiseAuthors: appSettings.pseudonymiseAuthors,
      })
      .from(apps)
      .leftJoin(appSettings, eq(appSettings.appId, apps.id))
      .orderBy(asc(apps.id));
    return rows.map((r) => ({ ...r.app, watchlists: r.watchlists, retentionDays: r.retentionDays ?? null, pseudonymiseAuthors: r.pseudonymiseAuthors ?? false }));
  });

  api.get("/apps/:id", { config: { roles: R.readers }, schema: meta("apps", "One app", { params: true }) }, async (request) => {
    const app = await getApp(ctx, idOf(request));
    if (!app) throw notFound(`app ${idOf(request)}`);
    return app;
  });

  api.post("/apps", { config: { roles: R.admin }, schema: meta("apps", "Create an app", { body: createApp }) }, async (request, reply) => {
    const input = parseInput(createApp, request.body);
    const [same] = await db.select({ id: apps.id }).from(apps).where(eq(apps.name, input.name));
    if (same) throw new ApiError(409, `name: app ${same.id} is already named "${input.name}"`, "name");
    const app = await upsertApp(db, input);
    await audit(ctx, request, { action: "create", entity: "app", entityId: app.id, after: app });
    return reply.status(201).send(app);
  });

  api.patch("/apps/:id", { config: { roles: R.admin }, schema: meta("apps", "Change an app's names or store ids", { body: patchApp, params: true }) }, async (request) => {
    const id = idOf(request);
    const patch = parseInput(patchApp, request.body);
    const before = await getApp(ctx, id);
    if (!before) throw notFound(`app ${id}`);
    if (patch.name && patch.name !== before.name) {
      const [same] = await db.select({ id: apps.id }).from(apps).where(eq(apps.name, patch.name));
      if (same) throw new ApiError(409, `name: app ${same.id} is already named "${patch.name}"`, "name");
    }
    const [after] = await db.update(apps).set({ ...patch, updatedAt: new Date() }).where(eq(apps.id, id)).returning();
    await audit(ctx, request, { action: "update", entity: "app", entityId: id, before, after });
    return after;
  });

  api.post("/apps/:id/disable", { config: { roles: R.admin }, schema: meta("apps", "Stop crawling an app: disables all its watchlists", { params: true }) }, async (request) => {
    const id = idOf(request);
    if (!(await getApp(ctx, id))) throw notFound(`app ${id}`);
    const changed = await db
      .update(watchlists)
      .set({ enabled: false, updatedBy: actorOf(request), updatedAt: new Date() })
      .where(sql`${watchlists.appId} = ${id} and ${watchlists.enabled}`)
      .returning({ id: watchlists.id });
    await audit(ctx, request, { action: "disable", entity: "app", entityId: id, after: { watchlistsDisabled: changed.map((w) => w.id) } });
    return { disabledWatchlists: changed.map((w) => w.id), schedules: await reconcile(ctx) };
  });

  api.delete("/apps/:id", { config: { roles: R.admin }, schema: meta("apps", "Delete an app, its watchlists and their matches", { params: true }) }, async (request, reply) => {
    const id = idOf(request);
    const before = await getApp(ctx, id);
    if (!before) throw notFound(`app ${id}`);
    await db.delete(apps).where(eq(apps.id, id));
    await audit(ctx, request, { action: "delete", entity: "app", entityId: id, before });
    const schedules = await reconcile(ctx);
    return reply.status(200).send({ deleted: id, schedules });
  });
}
