import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ApiContext } from "../context.ts";
import { csvLine } from "../csv.ts";
import { notFound, parseInput } from "../errors.ts";
import { exportMentions, getMention, mentionFilterFields, searchMentions, searchSchema, type MentionResult } from "../search.ts";
import { idOf, meta, R } from "./util.ts";

const exportSchema = z
  .object({ ...mentionFilterFields, format: z.enum(["csv", "jsonl"], { message: 'must be "csv" or "jsonl"' }).default("csv") })
  .strict();

const CSV_COLUMNS: [string, (m: MentionResult) => unknown][] = [
  ["id", (m) => m.id],
  ["published_at", (m) => m.publishedAt ?? m.fetchedAt],
  ["source", (m) => m.source],
  ["apps", (m) => m.apps],
  ["rating", (m) => m.rating],
  ["app_version", (m) => m.appVersion],
  ["sentiment", (m) => m.sentimentLabel],
  ["sentiment_score", (m) => m.sentimentScore],
  ["complaint", (m) => m.complaint],
  ["category", (m) => m.complaintCategory],
  ["language", (m) => m.language],
  ["author", (m) => m.author],
  ["title", (m) => m.title],
  ["text", (m) => m.text],
  ["url", (m) => m.url],
  ["keywords", (m) => m.keywords],
  ["duplicate_of", (m) => m.duplicateOf],
];

/** /api/mentions: search with filters and full text, keyset pages, streaming export. */
export async function mentionRoutes(api: FastifyInstance, ctx: ApiContext): Promise<void> {
  api.get("/mentions", { config: { roles: R.readers }, schema: meta("mentions", "Search mentions (filters, full text, keyset pages)", { querystring: searchSchema }) }, async (request) => {
    return searchMentions(ctx.database, parseInput(searchSchema, request.query));
  });

  api.get("/mentions/export", {
    config: { roles: R.analysts },
    schema: meta("mentions", "Export every matching mention as CSV or JSON lines, streamed", { querystring: exportSchema }),
  }, async (request, reply) => {
    const { format, ...filter } = parseInput(exportSchema, request.query);
    const batches = await exportMentions(ctx.database, filter);
    const stamp = new Date().toISOString().slice(0, 10);
    async function* lines() {
      // A BOM so spreadsheet programs read the Chinese text as UTF-8.
      if (format === "csv") yield "\uFEFF" + csvLine(CSV_COLUMNS.map(([name]) => name));
      for await (const batch of batches) {
        let chunk = "";
        for (const m of batch) chunk += format === "csv" ? csvLine(CSV_COLUMNS.map(([, get]) => get(m))) : JSON.stringify(m) + "\n";
        yield chunk;
      }
    }
    reply
      .type(format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8")
      .header("content-disposition", `attachment; filename="mentions-${stamp}.${format}"`);
    return reply.send(Readable.from(lines(), { objectMode: false }));
  });

  api.get("/mentions/:id", { config: { roles: R.readers }, schema: meta("mentions", "One mention", { params: true }) }, async (request) => {
    const id = idOf(request);
    const m = await getMention(ctx.database, id);
    if (!m) throw notFound(`mention ${id}`);
    return m;
  });

}
