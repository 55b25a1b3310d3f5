import type { FastifyInstance } from "fastify";
import type { ApiContext } from "../context.ts";
import { aggregateRoutes } from "./aggregates.ts";
import { alertRoutes } from "./alerts.ts";
import { appRoutes } from "./apps.ts";
import { auditRoutes } from "./audit.ts";
import { ingestRoutes } from "./ingest.ts";
import { mentionRoutes } from "./mentions.ts";
import { privacyRoutes } from "./privacy.ts";
import { queryRoutes } from "./queries.ts";
import { sourceRoutes } from "./sources.ts";
import { tokenRoutes } from "./tokens.ts";
import { R } from "./util.ts";
import { watchlistRoutes } from "./watchlists.ts";

/** Every /api route, one file per resource. */
export async function registerRoutes(api: FastifyInstance, ctx: ApiContext): Promise<void> {
  api.get("/me", { config: { roles: R.readers }, schema: { tags: ["auth"], summary: "Who this token is (the dashboard's login check)" } }, async (request) => ({
    name: request.principal!.name,
    role: request.principal!.role,
    tokenId: request.principal!.tokenId,
  }));
  await appRoutes(api, ctx);
  await watchlistRoutes(api, ctx);
  await alertRoutes(api, ctx);
  await mentionRoutes(api, ctx);
  await aggregateRoutes(api, ctx);
  await queryRoutes(api, ctx);
  await ingestRoutes(api, ctx);
  await tokenRoutes(api, ctx);
  await privacyRoutes(api, ctx);
  await sourceRoutes(api, ctx);
  await auditRoutes(api, ctx);
}
