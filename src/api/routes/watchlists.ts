import { eq } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import YAML from "yaml";
import { z } from "zod";
import { appFields } from "../../apps.ts";
import {
  createWatchlist,
  deleteWatchlist,
  findAppByName,
  findSameWatchlist,
  getWatchlist,
  listWatchlists,
  updateWatchlist,
  upsertApp,
  type WatchlistPatch,
  type WatchlistWithApp,
} from "../../db/repo/watchlists.ts";
import { apps } from "../../db/schema.ts";
import { UsageError } from "../../errors.ts";
import { formatSeconds, parseInterval, validateWatchlist } from "../../watchlists.ts";
import type { ApiContext } from "../context.ts";
import { ApiError, fieldOf, notFound, parseInput, zodMessages } from "../errors.ts";
import { actorOf, audit, idOf, meta, R, reconcile } from "./util.ts";

const interval = z.union([z.string(), z.number().int().positive()]).describe('"15m", "1h", "1d" or seconds');

/** A watchlist as the API takes it: the app by id or by name (created when new). */
export const watchlistInput = z
  .object({
    appId: z.number().int().positive().optional(),
    app: appFields.name.optional().describe("app name; created if no app has it"),
    aliases: appFields.aliases.optional().describe("when the app is created by name"),
    keywords: z.array(z.string()).max(100, "at most 100 keywords").default([]),
    sources: z.array(z.string()).min(1, "give at least one source"),
    interval: interval.default("30m"),
    enabled: z.boolean().default(true),
  })
  .strict();
type WatchlistInput = z.output<typeof watchlistInput>;

const watchlistPatch = z
  .object({
    keywords: z.array(z.string()).max(100, "at most 100 keywords").optional(),
    sources: z.array(z.string()).min(1, "give at least one source").optional(),
    interval: interval.optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

function intervalSec(v: string | number): number {
  return typeof v === "number" ? v : parseInterval(v);
}

function cleanKeywords(keywords: string[]): string[] {
  return [...new Set(keywords.map((k) => k.trim()))];
}

/** Every problem of a watchlist (zod shape first, then the shared rules), each naming its field. */
function problemsOf(body: unknown): { field: string; message: string }[] {
  const r = watchlistInput.safeParse(body ?? {});
  if (!r.success) return zodMessages(r.error);
  const w = r.data;
  const problems: { field: string; message: string }[] = [];
  if (!w.appId && !w.app) problems.push({ field: "app", message: "give the app's name or appId" });
  try {
    validateWatchlist({ keywords: w.keywords, sources: w.sources, intervalSec: intervalSec(w.interval) });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    problems.push({ field: fieldOf(err.message) ?? "body", message: err.message.replace(/^[\w.]+: /, "") });
  }
  return problems;
}

function view(w: WatchlistWithApp) {
  return {
    id: w.id,
    appId: w.appId,
    app: w.app.name,
    keywords: w.keywords,
    sources: w.sources,
    intervalSec: w.intervalSec,
    interval: formatSeconds(w.intervalSec),
    enabled: w.enabled,
    createdBy: w.createdBy,
    updatedBy: w.updatedBy,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  };
}

/** The portable form of a watchlist, as bulk export writes it and bulk import reads it. */
function portable(w: WatchlistWithApp) {
  return {
    app: w.app.name,
    ...(w.app.aliases.length ? { aliases: w.app.aliases } : {}),
    keywords: w.keywords,
    sources: w.sources,
    interval: formatSeconds(w.intervalSec),
    enabled: w.enabled,
  };
}

/** /api/watchlists: what to crawl for which app, how often. Every change reconciles the job schedulers. */
export async function watchlistRoutes(api: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { db } = ctx.database;

  async function resolveAppId(w: WatchlistInput): Promise<number> {
    if (w.appId) {
      const [row] = await db.select({ id: apps.id }).from(apps).where(eq(apps.id, w.appId));
      if (!row) throw new ApiError(400, `appId: no app has id ${w.appId}`, "appId");
      return w.appId;
    }
    const existing = await findAppByName(db, w.app!);
    if (existing) return existing.id;
    return (await upsertApp(db, { name: w.app!, ...(w.aliases ? { aliases: w.aliases } : {}) })).id;
  }

  api.get("/watchlists", { config: { roles: R.readers }, schema: meta("watchlists", "List watchlists") }, async () => {
    return (await listWatchlists(db)).map(view);
  });

  api.get("/watchlists/export", {
    config: { roles: R.admin },
    schema: meta("watchlists", "Export every watchlist as JSON or YAML", { querystring: z.object({ format: z.enum(["json", "yaml"]).optional() }) }),
  }, async (request, reply) => {
    const { format } = parseInput(z.object({ format: z.enum(["json", "yaml"], { message: 'must be "json" or "yaml"' }).default("json") }).strict(), request.query);
    const all = (await listWatchlists(db)).map(portable);
    if (format === "yaml") return reply.type("application/yaml; charset=utf-8").send(YAML.stringify({ watchlists: all }));
    return { watchlists: all };
  });

  api.get("/watchlists/:id", { config: { roles: R.readers }, schema: meta("watchlists", "One watchlist", { params: true }) }, async (request) => {
    const w = await getWatchlist(db, idOf(request));
    if (!w) throw notFound(`watchlist ${idOf(request)}`);
    return view(w);
  });

  api.post("/watchlists/validate", { config: { roles: R.admin }, schema: meta("watchlists", "Check a watchlist without saving it (live validation)", { body: watchlistInput }) }, async (request) => {
    const problems = problemsOf(request.body);
    if (problems.length === 0) {
      const w = watchlistInput.parse(request.body);
      const app = w.appId ? { id: w.appId } : await findAppByName(db, w.app!);
      if (app) {
        const same = await findSameWatchlist(db, { appId: app.id, keywords: cleanKeywords(w.keywords), sources: w.sources });
        if (same) problems.push({ field: "keywords", message: `watchlist ${same.id} already watches this app for these keywords on these sources` });
      }
    }
    return { ok: problems.length === 0, problems };
  });

  api.post("/watchlists", { config: { roles: R.admin }, schema: meta("watchlists", "Create a watchlist", { body: watchlistInput }) }, async (request, reply) => {
    const problems = problemsOf(request.body);
    if (problems.length) throw new ApiError(400, problems.map((p) => `${p.field}: ${p.message}`).join("; "), problems[0]!.field, problems);
    const w = watchlistInput.parse(request.body);
    const keywords = cleanKeywords(w.keywords);
    const appId = await resolveAppId(w);
    const same = await findSameWatchlist(db, { appId, keywords, sources: w.sources });
    if (same) throw new ApiError(409, `keywords: watchlist ${same.id} already watches this app for these keywords on these sources`, "keywords");
    const created = await createWatchlist(db, { appId, keywords, sources: w.sources, intervalSec: intervalSec(w.interval), enabled: w.enabled, by: actorOf(request) });
    const full = (await getWatchlist(db, created.id))!;
    await audit(ctx, request, { action: "create", entity: "watchlist", entityId: created.id, after: view(full) });
    return reply.status(201).send({ ...view(full), schedules: await reconcile(ctx) });
  });

  api.patch("/watchlists/:id", { config: { roles: R.admin }, schema: meta("watchlists", "Change a watchlist", { body: watchlistPatch, params: true }) }, async (request) => {
    const id = idOf(request);
    const p = parseInput(watchlistPatch, request.body);
    const before = await getWatchlist(db, id);
    if (!before) throw notFound(`watchlist ${id}`);
    const patch: WatchlistPatch = {};
    if (p.keywords) patch.keywords = cleanKeywords(p.keywords);
    if (p.sources) patch.sources = p.sources;
    if (p.interval !== undefined) patch.intervalSec = intervalSec(p.interval);
    if (p.enabled !== undefined) patch.enabled = p.enabled;
    if (Object.keys(patch).length === 0) throw new ApiError(400, "body: nothing to change (give keywords, sources, interval or enabled)", "body");
    const merged = { keywords: patch.keywords ?? before.keywords, sources: patch.sources ?? before.sources, intervalSec: patch.intervalSec ?? before.intervalSec };
    validateWatchlist(merged);
    if (patch.keywords || patch.sources) {
      const same = await findSameWatchlist(db, { appId: before.appId, keywords: merged.keywords, sources: merged.sources });
      if (same && same.id !== id) throw new ApiError(409, `keywords: watchlist ${same.id} already watches this app for these keywords on these sources`, "keywords");
    }
    await updateWatchlist(db, id, patch, actorOf(request));
    const after = (await getWatchlist(db, id))!;
    await audit(ctx, request, { action: "update", entity: "watchlist", entityId: id, before: view(before), after: view(after) });
    return { ...view(after), schedules: await reconcile(ctx) };
  });

  for (const [action, enabled] of [["disable", false], ["enable", true]] as const) {
    api.post(`/watchlists/:id/${action}`, { config: { roles: R.admin }, schema: meta("watchlists", `${action === "disable" ? "Stop" : "Resume"} scheduling a watchlist`, { params: true }) }, async (request) => {
      const id = idOf(request);
      const before = await getWatchlist(db, id);
      if (!before) throw notFound(`watchlist ${id}`);
      await updateWatchlist(db, id, { enabled }, actorOf(request));
      const after = (await getWatchlist(db, id))!;
      await audit(ctx, request, { action, entity: "watchlist", entityId: id, before: view(before), after: view(after) });
      return { ...view(after), schedules: await reconcile(ctx) };
    });
  }

  api.delete("/watchlists/:id", { config: { roles: R.admin }, schema: meta("watchlists", "Delete a watchlist and its matches", { params: true }) }, async (request) => {
    const id = idOf(request);
    const before = await getWatchlist(db, id);
    if (!before) throw notFound(`watchlist ${id}`);
    await deleteWatchlist(db, id);
    await audit(ctx, request, { action: "delete", entity: "watchlist", entityId: id, before: view(before) });
    return { deleted: id, schedules: await reconcile(ctx) };
  });

  api.post("/watchlists/import", {
    config: { roles: R.admin },
    schema: { ...meta("watchlists", "Import watchlists from JSON or YAML (all or nothing; existing ones are skipped)"), consumes: ["application/json", "application/yaml"] },
  }, async (request) => {
    let body: unknown = request.body;
    if (typeof body === "string") {
      try {
        body = YAML.parse(body);
      } catch (err) {
        throw new ApiError(400, `body: not valid YAML (${(err as Error).message.split("\n")[0]})`, "body");
      }
    }
    const items = Array.isArray(body) ? body : (body as { watchlists?: unknown } | null)?.watchlists;
    if (!Array.isArray(items)) throw new ApiError(400, "watchlists: give a list of watchlists (or an object with a watchlists list)", "watchlists");
    const errors: { index: number; field: string; message: string }[] = [];
    items.forEach((item, index) => {
      for (const p of problemsOf(item)) errors.push({ index, field: `watchlists[${index}].${p.field}`, message: p.message });
    });
    if (errors.length) throw new ApiError(400, errors.map((e) => `${e.field}: ${e.message}`).join("; "), errors[0]!.field, errors);
    const created: number[] = [];
    const skipped: { index: number; existing: number }[] = [];
    await db.transaction(async (tx) => {
      for (const [index, raw] of items.entries()) {
        const w = watchlistInput.parse(raw);
        const keywords = cleanKeywords(w.keywords);
        const existingApp = w.appId ? { id: w.appId } : await findAppByName(tx as never, w.app!);
        const appId = existingApp?.id ?? (await upsertApp(tx as never, { name: w.app!, ...(w.aliases ? { aliases: w.aliases } : {}) })).id;
        const same = await findSameWatchlist(tx as never, { appId, keywords, sources: w.sources });
        if (same) {
          skipped.push({ index, existing: same.id });
          continue;
        }
        const row = await createWatchlist(tx as never, { appId, keywords, sources: w.sources, intervalSec: intervalSec(w.interval), enabled: w.enabled, by: actorOf(request) });
        created.push(row.id);
      }
    });
    await audit(ctx, request, { action: "import", entity: "watchlist", after: { created, skipped } });
    return { created, skipped, schedules: await reconcile(ctx) };
  });
}
