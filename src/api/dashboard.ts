import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/**
 * The dashboard: static pages under /, ECharts served from node_modules (no CDN, no build step).
 * The pages hold no data; they call /api with the token the user logs in with.
 */
export async function registerDashboard(app: FastifyInstance): Promise<void> {
  const echartsDir = dirname(require.resolve("echarts/dist/echarts.min.js"));
  await app.register(fastifyStatic, {
    root: join(here, "dashboard"),
    prefix: "/",
    decorateReply: false,
    index: ["index.html"],
    cacheControl: false,
    setHeaders(res) {
      // Scraped text is shown with textContent; the policy is a second line of defence.
      res.header(
        "content-security-policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
      );
      res.header("x-content-type-options", "nosniff");
    },
  });
  await app.register(fastifyStatic, { root: echartsDir, prefix: "/vendor/echarts/", decorateReply: false, allowedPath: (p) => p === "/echarts.min.js" || p === "echarts.min.js" });
}
