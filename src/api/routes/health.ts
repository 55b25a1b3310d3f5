import type { FastifyInstance } from "fastify";
import { sql } from "drizzle-orm";
import type { ApiContext } from "../context.ts";
import { runSql } from "../sqltext.ts";

async function timed<T>(fn: () => Promise<T>): Promise<{ ok: boolean; ms: number; error?: string; value?: T }> {
  const t0 = performance.now();
  try {
    const value = await Promise.race([
      fn(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no answer within 2s")), 2000).unref()),
    ]);
    return { ok: true, ms: Math.round(performance.now() - t0), value };
  } catch (err) {
    return { ok: false, ms: Math.round(performance.now() - t0), error: (err as Error).message };
  }
}

/** Queue depths by state, and how long the oldest waiting job has waited. */
async function queueState(ctx: ApiContext) {
  const counts = await ctx.queue.getJobCounts("waiting", "active", "delayed", "failed", "completed", "prioritized");
  const [oldest] = await ctx.queue.getWaiting(0, 0);
  return { counts, oldestWaitingSec: oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0 };
}

/** Seconds from enqueue to start of the last finished jobs, for the latency figures. */
async function recentLatencies(ctx: ApiContext): Promise<number[]> {
  const jobs = [...(await ctx.queue.getCompleted(0, 99)), ...(await ctx.queue.getFailed(0, 49))];
  return jobs
    .filter((j) => j.processedOn && j.timestamp)
    .map((j) => Math.max(0, (j.processedOn! - Math.max(j.timestamp, j.delay ? j.timestamp + j.delay : 0)) / 1000));
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function label(v: unknown): string {
  return String(v ?? "").replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** /healthz (Postgres, Redis, queue depths) and /metrics (Prometheus text format). Both public. */
export async function healthRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get("/healthz", { config: { roles: "public" }, schema: { tags: ["health"], summary: "Postgres, Redis and queue depths; 503 when a store is down", security: [] } }, async (_request, reply) => {
    const [postgres, redis, queue] = await Promise.all([
      timed(() => ctx.database.sql`select 1`),
      timed(() => ctx.redis.ping()),
      timed(() => queueState(ctx)),
    ]);
    const ok = postgres.ok && redis.ok;
    return reply.status(ok ? 200 : 503).send({
      status: ok ? "ok" : "down",
      postgres: { ok: postgres.ok, ms: postgres.ms, ...(postgres.error ? { error: postgres.error } : {}) },
      redis: { ok: redis.ok, ms: redis.ms, ...(redis.error ? { error: redis.error } : {}) },
      queue: queue.ok ? queue.value : { error: queue.error },
    });
  });

  app.get("/metrics", { config: { roles: "public" }, schema: { tags: ["health"], summary: "Prometheus metrics", security: [] } }, async (_request, reply) => {
    const out: string[] = [];
    const family = (name: string, type: string, help: string, samples: [Record<string, unknown>, number][]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) {
        const l = Object.entries(labels).map(([k, v]) => `${k}="${label(v)}"`).join(",");
        out.push(`${name}${l ? `{${l}}` : ""} ${Number.isFinite(value) ? value : 0}`);
      }
    };
    const runs = await runSql<{ source: string; status: string; runs: number; seen: number; new: number; dup: number; requests: number }>(
      ctx.database.sql,
      sql`select source, status, count(*)::int as runs, coalesce(sum(items_seen), 0)::int as seen, coalesce(sum(items_new), 0)::int as new,
                 coalesce(sum(duplicates), 0)::int as dup, coalesce(sum(requests), 0)::int as requests
          from crawl_runs group by source, status order by source, status`,
    );
    family("earshot_crawl_runs_total", "counter", "Crawl runs by source and outcome.", runs.map((r) => [{ source: r.source, status: r.status }, r.runs]));
    const bySource = new Map<string, { seen: number; new: number; dup: number; errors: number; requests: number }>();
    for (const r of runs) {
      const s = bySource.get(r.source) ?? { seen: 0, new: 0, dup: 0, errors: 0, requests: 0 };
      s.seen += r.seen;
      s.new += r.new;
      s.dup += r.dup;
      s.requests += r.requests;
      if (r.status !== "ok" && r.status !== "running") s.errors += r.runs;
      bySource.set(r.source, s);
    }
    family("earshot_crawl_items_total", "counter", "Items crawled by source: seen, new and new-but-duplicate.", [...bySource].flatMap(([source, s]) => [
      [{ source, kind: "seen" }, s.seen],
      [{ source, kind: "new" }, s.new],
      [{ source, kind: "duplicate" }, s.dup],
    ] as [Record<string, unknown>, number][]));
    family("earshot_crawl_errors_total", "counter", "Crawl runs that failed, were blocked or rate-limited, by source.", [...bySource].map(([source, s]) => [{ source }, s.errors]));
    family("earshot_crawl_requests_total", "counter", "HTTP requests made by crawl runs, by source.", [...bySource].map(([source, s]) => [{ source }, s.requests]));
    const blocked = await runSql<{ source: string; n: number }>(
      ctx.database.sql,
      sql`select source, count(*) filter (where state = 'blocked' and blocked_until > now())::int as n from source_health group by source`,
    );
    family("earshot_source_blocked", "gauge", "Hosts a source is blocked on right now.", blocked.map((b) => [{ source: b.source }, b.n]));
    try {
      const deliveries = await runSql<{ state: string; n: number }>(ctx.database.sql, sql`select state, count(*)::int as n from deliveries group by state`);
      family("earshot_alert_deliveries_total", "counter", "Alert deliveries by state (pending, delivered, dead).", deliveries.map((d) => [{ state: d.state }, d.n]));
    } catch {
      // No deliveries table in this database yet.
    }
    try {
      const q = await queueState(ctx);
      family("earshot_queue_jobs", "gauge", "Crawl queue jobs by state.", Object.entries(q.counts).map(([state, n]) => [{ queue: "crawl", state }, n]));
      family("earshot_queue_oldest_waiting_seconds", "gauge", "Age of the oldest waiting crawl job.", [[{ queue: "crawl" }, q.oldestWaitingSec]]);
      const lat = (await recentLatencies(ctx)).sort((a, b) => a - b);
      family("earshot_queue_latency_seconds", "summary", "Seconds from enqueue (or due time) to start, over the last finished crawl jobs.", [
        [{ queue: "crawl", quantile: "0.5" }, quantile(lat, 0.5)],
        [{ queue: "crawl", quantile: "0.95" }, quantile(lat, 0.95)],
      ]);
    } catch {
      family("earshot_redis_up", "gauge", "Whether Redis answered.", [[{}, 0]]);
    }
    return reply.type("text/plain; version=0.0.4; charset=utf-8").send(out.join("\n") + "\n");
  });
}
