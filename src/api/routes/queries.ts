import type { FastifyInstance } from "fastify";
import type { ApiContext } from "../context.ts";
import { csvLine } from "../csv.ts";
import { loadQueries, runNamedQuery } from "../queries.ts";
import { meta, R } from "./util.ts";

/** /api/queries: the named analyst queries of queries/, listed and run with their parameters. */
export async function queryRoutes(api: FastifyInstance, ctx: ApiContext): Promise<void> {
  api.get("/queries", { config: { roles: R.analysts }, schema: meta("queries", "List named queries, their purpose and parameters") }, async () => {
    return [...(await loadQueries())].map(([name, q]) => ({ name, purpose: q.purpose, params: q.params }));
  });

  api.get("/queries/:name", {
    config: { roles: R.analysts },
    schema: { ...meta("queries", "Run a named query; parameters go in the query string (format=csv for CSV)"), params: { type: "object", properties: { name: { type: "string" } } } },
  }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const { format, ...given } = request.query as Record<string, string>;
    const result = await runNamedQuery(ctx.database, name, given);
    if (format === "csv") {
      const body = result.columns.length ? csvLine(result.columns) + result.rows.map((r) => csvLine(result.columns.map((c) => r[c]))).join("") : "";
      return reply.type("text/csv; charset=utf-8").send("\uFEFF" + body);
    }
    return result;
  });
}
