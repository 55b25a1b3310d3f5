import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { apps, watchlists, type App, type Watchlist } from "../schema.ts";

export interface AppInput {
  name: string;
  aliases?: string[];
  appstoreId?: string | null;
  appstoreCountries?: string[];
  playPackage?: string | null;
  playLangs?: string[];
  taptapId?: string | null;
  taptapRegion?: "cn" | "intl";
}

/** Creates the app, or updates the fields given for an app of that name. */
export async function upsertApp(db: Db, input: AppInput): Promise<App> {
  const set: Partial<typeof apps.$inferInsert> = { updatedAt: new Date() };
  if (input.aliases !== undefined) set.aliases = input.aliases;
  if (input.appstoreId !== undefined) set.appstoreId = input.appstoreId;
  if (input.appstoreCountries !== undefined) set.appstoreCountries = input.appstoreCountries;
  if (input.playPackage !== undefined) set.playPackage = input.playPackage;
  if (input.playLangs !== undefined) set.playLangs = input.playLangs;
  if (input.taptapId !== undefined) set.taptapId = input.taptapId;
  if (input.taptapRegion !== undefined) set.taptapRegion = input.taptapRegion;
  const [row] = await db
    .insert(apps)
    .values({ ...input, name: input.name })
    .onConflictDoUpdate({ target: apps.name, set })
    .returning();
  return row!;
}

export async function findAppByName(db: Db, name: string): Promise<App | undefined> {
  const [row] = await db
    .select()
    .from(apps)
    .where(sql`${apps.name} = ${name} or ${name} = any(${apps.aliases})`)
    .limit(1);
  return row;
}

export async function updateApp(db: Db, id: number, patch: Partial<AppInput>): Promise<void> {
  await db
    .update(apps)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(apps.id, id));
}

export interface WatchlistInput {
  appId: number;
  keywords: string[];
  sources: string[];
  intervalSec: number;
  enabled?: boolean;
  /** Forums (ids in `forums`) for the discourse, forum and tieba sources. @default [] */
  forumIds?: number[];
  by: string;
}

export async function createWatchlist(db: Db, input: WatchlistInput): Promise<Watchlist> {
  const [row] = await db
    .insert(watchlists)
    .values({
      appId: input.appId,
      keywords: input.keywords,
      sources: input.sources,
      intervalSec: input.intervalSec,
      enabled: input.enabled ?? true,
      forumIds: input.forumIds ?? [],
      createdBy: input.by,
      updatedBy: input.by,
    })
    .returning();
  return row!;
}

export type WatchlistPatch = Partial<Pick<Watchlist, "keywords" | "sources" | "intervalSec" | "enabled" | "forumIds">>;

export async function updateWatchlist(
  db: Db,
  id: number,
  patch: WatchlistPatch,
  by: string,
): Promise<Watchlist | undefined> {
  const [row] = await db
    .update(watchlists)
    .set({ ...patch, updatedBy: by, updatedAt: new Date() })
    .where(eq(watchlists.id, id))
    .returning();
  return row;
}

export async function deleteWatchlist(db: Db, id: number): Promise<boolean> {
  const rows = await db.delete(watchlists).where(eq(watchlists.id, id)).returning({ id: watchlists.id });
  return rows.length > 0;
}

export interface WatchlistWithApp extends Watchlist {
  app: App;
}

export async function getWatchlist(db: Db, id: number): Promise<WatchlistWithApp | undefined> {
  const [row] = await db.select().from(watchlists).innerJoin(apps, eq(apps.id, watchlists.appId)).where(eq(watchlists.id, id));
  return row ? { ...row.watchlists, app: row.apps } : undefined;
}

export async function listWatchlists(db: Db, options: { enabledOnly?: boolean } = {}): Promise<WatchlistWithApp[]> {
  const rows = await db
    .select()
    .from(watchlists)
    .innerJoin(apps, eq(apps.id, watchlists.appId))
    .where(options.enabledOnly ? eq(watchlists.enabled, true) : undefined)
    .orderBy(asc(watchlists.id));
  return rows.map((r) => ({ ...r.watchlists, app: r.apps }));
}

/** The column holds the same strings as `values`, in any order (the list travels as one JSON parameter). */
function sameSet(column: typeof watchlists.keywords | typeof watchlists.sources, values: readonly string[]) {
  const list = sql`array(select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`;
  return sql`(${column} @> ${list} and ${column} <@ ${list})`;
}

/** A watchlist with the same app, sources and keywords already exists (in any order). */
export async function findSameWatchlist(db: Db, input: Pick<WatchlistInput, "appId" | "keywords" | "sources">) {
  const [row] = await db
    .select({ id: watchlists.id })
    .from(watchlists)
    .where(
      and(
        eq(watchlists.appId, input.appId),
        sameSet(watchlists.keywords, input.keywords),
        sameSet(watchlists.sources, input.sources),
      ),
    )
    .limit(1);
  return row;
}
