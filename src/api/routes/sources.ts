import type { FastifyInstance } from "fastify";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { clearBlocks } from "../../db/repo/crawl-runs.ts";
import { sources } from "../../sources/index.ts";
import type { ApiContext } from "../context.ts";
import { notFound, parseInput } from "../errors.ts";
import { isoOrNull, runSql } from "../sqltext.ts";
import { audit, doc, meta, R } from "./util.ts";

const sourceParams = z.object({ source: z.string().min(1) });
const unblockBody = z
  .object({ host: z.string().trim().toLowerCase().min(1, "give the host as /api/sources names it, or leave it out for every host").optional() })
  .strict();

/**
 * /api/sources: the sources earshot crawls, and how each is doing (last run, errors, blocks);
 * admins end a block at once after fixing its cause.
 */
export async function sourceRoutes(api: FastifyInstance, ctx: ApiContext): Promise<void> {
  api.get("/sources", { config: { roles: R.readers }, schema: meta("sources", "Sources and their health: last run, errors, blocked and rate-limited states") }, async () => {
    const last = await runSql<Record<string, unknown>>(
      ctx.database.sql,
      sql`select distinct on (source) source, id, status, started_at, finished_at, items_seen, items_new, error
          from crawl_runs order by source, started_at desc`,
    );
    const day = await runSql<{ source: string; runs: number; errors: number; blocked: number; rate_limited: number; items_new: number }>(
      ctx.database.sql,
      sql`select source, count(*)::int as runs,
                 count(*) filter (where status in ('failed', 'abandoned'))::int as errors,
                 count(*) filter (where status = 'blocked')::int as blocked,
                 count(*) filter (where status = 'rate_limited')::int as rate_limited,
                 coalesce(sum(items_new), 0)::int as items_new
          from crawl_runs where started_at > now() - interval '24 hours' group by source`,
    );
    const blocks = await runSql<{ source: string; host: string; reason: string | null; since: Date; blocked_until: Date | null }>(
      ctx.database.sql,
      sql`select source, host, reason, since, blocked_until from source_health where state = 'blocked' and blocked_until > now()`,
    );
    // Ingest sources (feedback, a support desk…) have no runs but have a watchlist.
    const ingested = await runSql<{ source: string }>(ctx.database.sql, sql`select distinct unnest(sources) as source from watchlists`);
    const ids = new Set([...sources.keys(), ...last.map((r) => String(r.source)), ...ingested.map((r) => r.source)]);
    return [...ids].sort().map((id) => {
      const adapter = sources.get(id);
      const run = last.find((r) => r.source === id);
      const d = day.find((r) => r.source === id);
      const b = blocks.filter((r) => r.source === id);
      const state = b.length ? "blocked" : run?.status === "rate_limited" ? "rate_limited" : run && run.status !== "ok" && run.status !== "running" ? "failing" : run ? "ok" : "idle";
      return {
        id,
        label: adapter?.label ?? id,
        kind: adapter?.kind ?? "ingest",
        minIntervalSec: adapter?.minIntervalSec ?? null,
        state,
        lastRun: run
          ? { id: Number(run.id), status: run.status, startedAt: isoOrNull(run.started_at), finishedAt: isoOrNull(run.finished_at), itemsSeen: run.items_seen, itemsNew: run.items_new, error: run.error }
          : null,
        last24h: { runs: d?.runs ?? 0, errors: d?.errors ?? 0, blocked: d?.blocked ?? 0, rateLimited: d?.rate_limited ?? 0, itemsNew: d?.items_new ?? 0 },
        blocks: b.map((x) => ({ host: x.host, reason: x.reason, since: isoOrNull(x.since), until: isoOrNull(x.blocked_until) })),
      };
    });
  });
  api.post(
    "/sources/:source/unblock",
    {
      config: { roles: R.admin },
      schema: { ...meta("sources", "End a source's block now (on one host, or every host); the next run tries the site again", { body: unblockBody }), params: doc(sourceParams) },
    },
    async (request) => {
      const { source } = parseInput(sourceParams, request.params);
      if (!sources.has(source)) throw notFound(`source ${source}`);
      const { host } = parseInput(unblockBody, request.body);
      const ended = await clearBlocks(ctx.database.db, source, host ?? null);
      if (ended.length) await audit(ctx, request, { action: "unblock", entity: "source", entityId: source, before: ended });
      return {
        source,
        unblocked: ended.map((b) => ({ host: b.host, reason: b.reason, since: b.since.toISOString(), until: isoOrNull(b.until) })),
      };
    },
  );
}
