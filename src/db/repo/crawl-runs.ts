import { and, eq, inArray, sql } from "drizzle-orm";
import type { FetchLogEntry } from "../../fetch/types.ts";
import type { Db } from "../client.ts";
import { crawlRuns, fetchLog, sourceCursors, sourceHealth, type CrawlRunStatus, type SourceCursor } from "../schema.ts";

export async function startCrawlRun(
  db: Db,
  run: { watchlistId: number; source: string; jobId: string | null; attempt: number; trigger: string },
): Promise<number> {
  if (run.jobId) {
    // An earlier attempt of this job died with its worker: say so instead of leaving it "running".
    await db
      .update(crawlRuns)
      .set({ status: "abandoned", finishedAt: new Date(), error: "the worker running this attempt stopped before it finished; the job was retried" })
      .where(and(eq(crawlRuns.jobId, run.jobId), eq(crawlRuns.status, "running")));
  }
  const [row] = await db.insert(crawlRuns).values(run).returning({ id: crawlRuns.id });
  return row!.id;
}

export interface RunTotals {
  requests: number;
  pagesFetched: number;
  itemsSeen: number;
  itemsNew: number;
  duplicates: number;
}

export async function finishCrawlRun(
  db: Db,
  id: number,
  status: CrawlRunStatus,
  totals: RunTotals,
  error: string | null = null,
): Promise<void> {
  await db
    .update(crawlRuns)
    .set({ ...totals, status, error, finishedAt: new Date() })
    .where(eq(crawlRuns.id, id));
}

export async function writeFetchLog(db: Db, runId: number, entries: readonly FetchLogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.insert(fetchLog).values(entries.map((e) => ({ ...e, runId })));
}

export async function getCursor(db: Db, watchlistId: number, source: string, scope: string): Promise<SourceCursor | undefined> {
  const [row] = await db
    .select()
    .from(sourceCursors)
    .where(and(eq(sourceCursors.watchlistId, watchlistId), eq(sourceCursors.source, source), eq(sourceCursors.scope, scope)));
  return row;
}

export async function saveCursor(
  db: Db,
  cursor: { watchlistId: number; source: string; scope: string; lastExternalId: string; lastPublishedAt: Date | null },
): Promise<void> {
  await db
    .insert(sourceCursors)
    .values({ ...cursor, updatedAt: new Date() })
    .onConflictDoUpdate({
      target: [sourceCursors.watchlistId, sourceCursors.source, sourceCursors.scope],
      set: { lastExternalId: cursor.lastExternalId, lastPublishedAt: cursor.lastPublishedAt, updatedAt: new Date() },
    });
}

/**
 * A block that pauses a run of the source: one on any of `hosts` (the hosts the run will ask), or
 * on any host at all when the source cannot say which hosts it asks (null).
 */
export async function activeBlock(
  db: Db,
  source: string,
  hosts: readonly string[] | null = null,
): Promise<{ host: string; until: Date; reason: string | null } | null> {
  if (hosts?.length === 0) return null;
  const [row] = await db
    .select()
    .from(sourceHealth)
    .where(
      and(
        eq(sourceHealth.source, source),
        eq(sourceHealth.state, "blocked"),
        sql`${sourceHealth.blockedUntil} > now()`,
        hosts ? inArray(sourceHealth.host, [...hosts]) : undefined,
      ),
    )
    .orderBy(sourceHealth.host)
    .limit(1);
  return row ? { host: row.host, until: row.blockedUntil!, reason: row.reason } : null;
}

/** Marks a source blocked on a host. Returns true when this starts a block (the admin is told once). */
export async function markBlocked(db: Db, source: string, host: string, reason: string, until: Date): Promise<boolean> {
  const rows = await db.execute<{ started: boolean }>(sql`
    insert into source_health (source, host, state, reason, since, blocked_until, updated_at)
    values (${source}, ${host}, 'blocked', ${reason}, now(), ${until.toISOString()}::timestamptz, now())
    on conflict (source, host) do update
      set state = 'blocked', reason = excluded.reason, blocked_until = excluded.blocked_until, updated_at = now(),
          since = case when source_health.state = 'blocked' then source_health.since else now() end
    returning (xmax = 0 or since = updated_at) as started`);
  return Boolean(rows[0]?.started);
}

/** A run succeeded: the source is usable again on the hosts it asked (null: on every host). */
export async function markHealthy(db: Db, source: string, hosts: readonly string[] | null = null): Promise<void> {
  if (hosts?.length === 0) return;
  await db
    .update(sourceHealth)
    .set({ state: "ok", blockedUntil: null, since: new Date(), updatedAt: new Date() })
    .where(and(eq(sourceHealth.source, source), eq(sourceHealth.state, "blocked"), hosts ? inArray(sourceHealth.host, [...hosts]) : undefined));
}

export interface EndedBlock {
  source: string;
  host: string;
  reason: string | null;
  since: Date;
  /** When the pause would have ended; in the past when it had already lifted. */
  until: Date | null;
}

/**
 * An admin ends a source's blocks now (on one host, or every host), after refreshing cookies or
 * adding a proxy. Returns the blocks as they were. The next run tries the site again; only a run
 * that succeeds says the source recovered.
 */
export async function clearBlocks(db: Db, source: string, host: string | null = null): Promise<EndedBlock[]> {
  const rows = await db.execute<{ source: string; host: string; reason: string | null; since: Date | string; blocked_until: Date | string | null }>(sql`
    update source_health h set state = 'ok', blocked_until = null, since = now(), updated_at = now()
    from (
      select source, host, reason, since, blocked_until from source_health
      where source = ${source} and state = 'blocked' ${host === null ? sql`` : sql`and host = ${host}`}
      for update
    ) before
    where h.source = before.source and h.host = before.host
    returning before.source, before.host, before.reason, before.since, before.blocked_until`);
  return [...rows]
    .map((r) => ({ source: r.source, host: r.host, reason: r.reason, since: new Date(r.since), until: r.blocked_until === null ? null : new Date(r.blocked_until) }))
    .sort((a, b) => a.host.localeCompare(b.host));
}
