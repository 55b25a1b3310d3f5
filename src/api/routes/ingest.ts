import { and, eq, sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { findAppByName } from "../../db/repo/watchlists.ts";
import { apps, watchlists } from "../../db/schema.ts";
import { processPage, type MatchedItem } from "../../pipeline/index.ts";
import { getSource } from "../../sources/index.ts";
import type { ApiContext } from "../context.ts";
import { ApiError, parseInput, zodMessages } from "../errors.ts";
import { authorKey, getAppSettings, pseudonym } from "../privacy.ts";
import { meta, R } from "./util.ts";

export const MAX_INGEST_ITEMS = 1000;

const batchSchema = z
  .object({
    app: z.union([z.string().trim().min(1), z.number().int().positive()]).describe("app id, name or alias"),
    source: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{1,39}$/, "must be a short lower-case name such as feedback, zendesk or discord-bot")
      .default("feedback"),
    items: z.array(z.unknown()).min(1, "give at least one item").max(MAX_INGEST_ITEMS, `at most ${MAX_INGEST_ITEMS} items per batch`),
  })
  .strict();

const itemSchema = z
  .object({
    id: z.string().trim().min(1, "give the item's id in your system (it deduplicates resends)").max(200),
    text: z.string().trim().min(1, "is empty").max(20_000, "is longer than 20000 characters"),
    title: z.string().max(500).nullable().optional(),
    author: z.string().max(200).nullable().optional(),
    url: z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).nullable().optional(),
    publishedAt: z.iso.datetime({ offset: true, message: "must be an ISO date-time such as 2024-05-01T08:00:00Z" }).nullable().optional(),
    rating: z.number().int().min(1, "must be 1 to 5").max(5, "must be 1 to 5").nullable().optional(),
    appVersion: z.string().max(50).nullable().optional(),
    extra: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/**
 * The watchlist ingested items of one (app, source) are filed under: one per pair, created on first
 * use. It has no crawl schedule (the source is not a crawler) but gives the mentions an app, as
 * crawled ones have.
 */
async function ingestWatchlist(ctx: ApiContext, appId: number, source: string): Promise<number> {
  const { db } = ctx.database;
  const find = () =>
    db
      .select({ id: watchlists.id })
      .from(watchlists)
      .where(and(eq(watchlists.appId, appId), sql`${watchlists.sources} = array[${source}]::text[]`, sql`cardinality(${watchlists.keywords}) = 0`))
      .limit(1);
  const [found] = await find();
  if (found) return found.id;
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`ingest:${appId}:${source}`}))`);
    const [again] = await find();
    if (again) return again.id;
    const [row] = await tx
      .insert(watchlists)
      .values({ appId, keywords: [], sources: [source], intervalSec: 86400, enabled: true, createdBy: "ingest", updatedBy: "ingest" })
      .returning({ id: watchlists.id });
    return row!.id;
  });
}

/** POST /api/ingest: mentions from the app's own channels, through the same pipeline as crawled ones. */
export async function ingestRoutes(api: FastifyInstance, ctx: ApiContext): Promise<void> {
  api.post("/ingest", {
    config: { roles: R.ingest },
    schema: meta("ingest", `Submit up to ${MAX_INGEST_ITEMS} mentions (feedback form, support desk, community bot); each is scored, deduplicated and alerted on`, {
      body: batchSchema.extend({ items: z.array(itemSchema) }),
    }),
  }, async (request) => {
    const batch = parseInput(batchSchema, request.body);
    if (getSource(batch.source)) {
      throw new ApiError(400, `source: "${batch.source}" is a crawled source; name your own (feedback, zendesk, discord-bot…)`, "source");
    }
    const app =
      typeof batch.app === "number"
        ? (await ctx.database.db.select().from(apps).where(eq(apps.id, batch.app)))[0]
        : await findAppByName(ctx.database.db, batch.app);
    if (!app) throw new ApiError(400, `app: no app is named "${batch.app}" (an admin creates it first)`, "app");

    const settings = await getAppSettings(ctx.database, app.id);
    const key = settings.pseudonymiseAuthors ? authorKey() : null;
    if (settings.pseudonymiseAuthors && !key) throw new ApiError(503, "this app stores pseudonymised authors but the server has no author key; ask an admin");

    const errors: { index: number; field: string; message: string }[] = [];
    const valid: { index: number; item: MatchedItem }[] = [];
    const seenIds = new Set<string>();
    batch.items.forEach((raw, index) => {
      const r = itemSchema.safeParse(raw);
      if (!r.success) {
        for (const p of zodMessages(r.error)) errors.push({ index, field: `items[${index}].${p.field}`, message: p.message });
        return;
      }
      const it = r.data;
      if (seenIds.has(it.id)) {
        errors.push({ index, field: `items[${index}].id`, message: `"${it.id}" appears twice in this batch` });
        return;
      }
      seenIds.add(it.id);
      const author = it.author ? (key ? pseudonym(it.author, key) : it.author) : null;
      valid.push({
        index,
        item: {
          keywords: [""],
          raw: {
            externalId: it.id,
            url: it.url ?? null,
            author,
            title: it.title ?? null,
            text: it.text,
            publishedAt: it.publishedAt ? new Date(it.publishedAt) : null,
            publishedRaw: it.publishedAt ?? null,
            rating: it.rating ?? null,
            appVersion: it.appVersion ?? null,
            extra: { ...(it.extra ?? {}), ingestedBy: request.principal?.name ?? null },
          },
        },
      });
    });

    const watchlistId = await ingestWatchlist(ctx, app.id, batch.source);
    const stored = valid.length
      ? await processPage(
          { sql: ctx.database.sql, alertStage: ctx.alertStage, dedupMinChars: ctx.config.dedupMinChars },
          { source: batch.source, watchlistId, items: valid.map((v) => v.item) },
        )
      : { seen: 0, inserted: [], duplicates: 0, alerts: 0 };
    const byId = new Map(stored.inserted.map((m) => [m.externalId, m]));
    const items = batch.items.map((_raw, index) => {
      const v = valid.find((x) => x.index === index);
      if (!v) return { index, status: "invalid" as const };
      const m = byId.get(v.item.raw.externalId);
      if (!m) return { index, id: v.item.raw.externalId, status: "exists" as const };
      return {
        index,
        id: v.item.raw.externalId,
        mentionId: m.id,
        status: m.duplicateOf ? ("duplicate" as const) : ("new" as const),
        duplicateOf: m.duplicateOf,
        sentiment: m.sentimentLabel,
        complaint: m.complaint,
        category: m.complaintCategory,
      };
    });
    return {
      app: app.name,
      source: batch.source,
      watchlistId,
      accepted: valid.length,
      inserted: stored.inserted.length,
      duplicates: stored.duplicates,
      alerts: stored.alerts,
      errors,
      items,
    };
  });
}
