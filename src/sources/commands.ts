/**
 * CLI commands for forums and sources: `earshot forum add|list|rm` (Discourse instances,
 * configured forums, Tieba 吧 thread lists), `earshot source test` (one page of one source,
 * with a selector report for configured forums) and `earshot source unblock`.
 */
import { readFile } from "node:fs/promises";
import { Command, Option } from "commander";
import { Redis } from "ioredis";
import { formatTable, truncate } from "../cli/table.ts";
import { deleteForum, getForum, listForums, upsertForum } from "../db/repo/forums.ts";
import { findAppByName } from "../db/repo/watchlists.ts";
import type { Forum } from "../db/schema.ts";
import { recordAudit } from "../api/audit.ts";
import { actor, getConfig, withDatabase } from "../cli/context.ts";
import { clearBlocks } from "../db/repo/crawl-runs.ts";
import { UsageError, errorMessage } from "../errors.ts";
import { closeSharedBrowser } from "../fetch/browser.ts";
import { createFetcher } from "../fetch/index.ts";
import { readForumConfig, testForum } from "./forum.ts";
import { getSource, sourceIds, sources } from "./index.ts";
import type { CrawlContext, ForumTarget, RawMention, SourceTarget } from "./types.ts";

function forumId(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`forum: "${value}" is not a forum id (see: earshot forum list)`);
  return Number(value);
}

function httpUrl(value: string, what: string): string {
  try {
    const u = new URL(value);
    if (u.protocol === "http:" || u.protocol === "https:") return value.replace(/\/+$/, "");
  } catch {
    /* reported below */
  }
  throw new UsageError(`${what}: "${value}" is not an http:// or https:// URL`);
}

const toTarget = (f: Forum): ForumTarget => ({ id: f.id, kind: f.kind, name: f.name, baseUrl: f.baseUrl, config: f.config });

/** The forum settings from --config (a JSON file or inline JSON) and the selector options. */
async function forumConfigFrom(opts: Record<string, string | boolean | undefined>): Promise<Record<string, unknown>> {
  let config: Record<string, unknown> = {};
  if (typeof opts.config === "string") {
    const text = opts.config.trim().startsWith("{") ? opts.config : await readFile(opts.config, "utf8").catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`config: cannot read ${String(opts.config)} (${err.code ?? err.message})`);
    });
    try {
      config = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`config: not valid JSON (${(err as Error).message})`);
    }
  }
  const selectors = { ...((config.selectors as Record<string, string>) ?? {}) };
  for (const key of ["item", "title", "link", "text", "author", "date", "next"]) {
    const v = opts[key];
    if (typeof v === "string") selectors[key] = v;
  }
  if (Object.keys(selectors).length) config.selectors = selectors;
  if (typeof opts.searchUrl === "string") config.searchUrl = opts.searchUrl;
  if (typeof opts.dateFormat === "string") config.dateFormat = opts.dateFormat;
  if (typeof opts.timeZone === "string") config.timeZone = opts.timeZone;
  if (opts.render) config.render = true;
  if (opts.appName === false) config.searchAppName = false;
  return config;
}

function printMentions(items: RawMention[]): void {
  const flat = items.flatMap((m) => (m.reposted ? [m.reposted, { ...m, reposted: null }] : [m]));
  console.log(
    formatTable(
      ["published", "author", "text", "url"],
      flat.map((m) => [m.publishedAt?.toISOString().slice(0, 16).replace("T", " ") ?? m.publishedRaw ?? "", m.author ?? "", truncate([m.title, m.text].filter(Boolean).join(" — "), 60), m.url ?? ""]),
    ),
  );
}

/** Adds `earshot forum …` and `earshot source test|unblock` to the program. */
export function registerSourceCommands(program: Command): void {
  const forum = program.command("forum").description("forums the discourse, forum and tieba sources read (pick them with watch add|edit --forums)");

  forum
    .command("add")
    .description("add a Discourse forum, a configured forum or a Tieba 吧 (same kind and name: replaced)")
    .addOption(new Option("--kind <kind>", "discourse, forum (search URL + selectors) or tieba (a 吧's thread list)").choices(["discourse", "forum", "tieba"]).makeOptionMandatory())
    .requiredOption("--name <name>", "a name for it (tieba: the 吧's name without 吧, e.g. 喵记)")
    .option("--url <url>", "discourse: the instance root, e.g. https://meta.discourse.org; forum: the site root")
    .option("--config <file|json>", "forum settings as JSON (searchUrl, selectors, dateFormat, timeZone, render)")
    .option("--search-url <template>", "forum: search URL with {query} and {page} or {offset}")
    .option("--item <css>", "forum: one result")
    .option("--title <css>", "forum: the title, inside a result")
    .option("--link <css>", "forum: the link to the post, inside a result")
    .option("--text <css>", "forum: the text or excerpt, inside a result")
    .option("--author <css>", "forum: the author, inside a result")
    .option("--date <css>", "forum: the date, inside a result")
    .option("--next <css>", "forum: the next-page link")
    .option("--date-format <format>", "forum: e.g. YYYY-MM-DD HH:mm, iso, unix or relative (default)")
    .option("--time-zone <zone>", "forum: IANA zone of its dates (default Asia/Shanghai)")
    .option("--render", "forum: open pages in the headless browser (results built by JavaScript)")
    .option("--no-app-name", "search the keyword alone, not app name + keyword (a forum about the app only)")
    .action(async (opts) => {
      const kind = opts.kind as Forum["kind"];
      const raw = String(opts.name).trim();
      const name = kind === "tieba" ? raw.replace(/吧$/, "") : raw;
      if (!name) throw new UsageError("name: give the forum a name");
      let baseUrl: string;
      let config: Record<string, unknown> = {};
      if (kind === "tieba") {
        baseUrl = `https://tieba.baidu.com/f?kw=${encodeURIComponent(name)}`;
      } else {
        if (!opts.url && !(kind === "forum" && (opts.searchUrl || opts.config))) throw new UsageError(`url: a ${kind} forum needs --url`);
        config = await forumConfigFrom(opts);
        if (kind === "discourse" && opts.appName === false) config.searchAppName = false;
        if (kind === "forum") {
          const checked = readForumConfig(config, name);
          config = checked as unknown as Record<string, unknown>;
        }
        baseUrl = httpUrl(opts.url ?? new URL(String(config.searchUrl)).origin, "url");
      }
      await withDatabase(async (database) => {
        const f = await upsertForum(database.db, { kind, name, baseUrl, config });
        console.log(`forum ${f.id}: ${f.kind} "${f.name}" at ${f.baseUrl}`);
        if (kind === "forum") console.log(`check its selectors with: earshot source test forum --forum ${f.id} --app <name> --keyword <word>`);
        console.log(f.id);
      });
    });

  forum
    .command("list")
    .description("list forums")
    .option("--json", "one JSON object per line")
    .action(async (opts: { json?: boolean }) => {
      await withDatabase(async (database) => {
        const rows = await listForums(database.db);
        if (opts.json) {
          for (const f of rows) console.log(JSON.stringify(toTarget(f)));
          return;
        }
        console.log(
          formatTable(
            ["id", "kind", "name", "url", "render"],
            rows.map((f) => [f.id, f.kind, f.name, f.baseUrl, f.config.render ? "yes" : ""]),
          ),
        );
      });
    });

  forum
    .command("rm <id>")
    .description("delete a forum (watchlists that use it stop searching it)")
    .action(async (idText: string) => {
      const id = forumId(idText);
      await withDatabase(async (database) => {
        if (!(await deleteForum(database.db, id))) throw new UsageError(`forum ${id} does not exist`);
        await database.sql`update watchlists set forum_ids = array_remove(forum_ids, ${id}::int)`;
        console.log(`forum ${id} deleted`);
      });
    });

  const source = program.command("source").description("try a source, or resume one paused after a block");

  source
    .command("unblock <source>")
    .description("end a source's block now, after refreshing its cookies or adding a proxy (the next run tries the site again)")
    .option("--host <host>", "only the block on this host, as `earshot crawl` and /api/sources name it (default: every host)")
    .action(async (sourceId: string, opts: { host?: string }) => {
      if (!getSource(sourceId)) throw new UsageError(`source: unknown source "${sourceId}" (known: ${sourceIds().join(", ")})`);
      const host = opts.host?.trim().toLowerCase() || null;
      await withDatabase(async (database) => {
        const ended = await clearBlocks(database.db, sourceId, host);
        if (ended.length === 0) {
          console.log(`${sourceId} is not blocked${host ? ` on ${host}` : ""}; nothing to do`);
          return;
        }
        await recordAudit(database.db, { actor: actor(), action: "unblock", entity: "source", entityId: sourceId, before: ended });
        for (const b of ended) {
          const lifted = b.until && b.until > new Date() ? `paused until ${b.until.toISOString()}` : "its pause had already ended";
          console.log(`${sourceId} unblocked on ${b.host} (${lifted}; ${b.reason ?? "no reason given"})`);
        }
        console.log("the next run tries the site again; the source-health alert says recovered once a run succeeds");
      });
    });

  source
    .command("test <source>")
    .description("fetch the first page of a source for an app and keyword and print what it found (forum: which selectors matched)")
    .option("--app <name>", "app name", "")
    .option("--keyword <word>", "keyword to search", "")
    .option("--forum <id>", "forum id (discourse, forum, tieba)")
    .action(async (sourceId: string, opts: { app: string; keyword: string; forum?: string }) => {
      const adapter = getSource(sourceId);
      if (!adapter) throw new UsageError(`source: unknown source "${sourceId}" (known: ${sourceIds().join(", ")})`);
      const config = getConfig();
      const forums = opts.forum ? await withDatabase(async (database) => getForum(database.db, forumId(opts.forum!))) : undefined;
      if (opts.forum && !forums) throw new UsageError(`forum ${opts.forum} does not exist (see: earshot forum list)`);
      const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true });
      const fetcher = createFetcher({
        redis,
        prefix: config.queuePrefix,
        config,
        politeness: Object.fromEntries([...sources.values()].map((s) => [s.id, s.politeness])),
      });
      const ctx: CrawlContext = { config, fetcher, log: (e) => console.error(`${e.status ?? "---"} ${e.ms}ms ${e.url}${e.error ? `  ${e.error}` : ""}`) };
      try {
        if (sourceId === "forum") {
          if (!forums) throw new UsageError("forum: give the forum to test with --forum ID");
          const query = [opts.app, opts.keyword].filter(Boolean).join(" ") || forums.name;
          const report = await testForum(ctx, toTarget(forums), query);
          console.error(`${report.url}: ${report.matched.item} results; ` + Object.entries(report.matched).map(([k, n]) => `${k} ${n}`).join(", "));
          printMentions(report.items);
          for (const p of report.problems) console.error(`problem: ${p}`);
          if (report.problems.length) process.exitCode = 1;
          return;
        }
        const target: SourceTarget = {
          // Defaults for an app earshot does not know yet; a known app's ids replace them below.
          app: { id: 0, name: opts.app, aliases: [], appstoreId: null, appstoreCountries: ["cn"], playPackage: null, playLangs: [], taptapId: null, taptapRegion: "cn" } as SourceTarget["app"],
          keywords: opts.keyword ? [opts.keyword] : [],
          ...(forums ? { forums: [toTarget(forums)] } : {}),
        };
        if (opts.app) {
          const known = await withDatabase(async (database) => findAppByName(database.db, opts.app)).catch(() => undefined);
          if (known) Object.assign(target.app, Object.fromEntries(Object.entries(known).filter(([k]) => k in target.app)));
        }
        const plan = await adapter.plan(target, ctx);
        const scope = plan.scopes[0];
        if (!scope) throw new UsageError(`${sourceId}: nothing to fetch for these options (give --keyword, or --forum for forum sources)`);
        for await (const page of adapter.pages(target, scope, ctx)) {
          console.error(`${page.url}: ${page.items.length} items${page.last ? " (last page)" : ""}`);
          printMentions(page.items);
          break;
        }
      } catch (err) {
        if (err instanceof UsageError) throw err;
        console.error(`earshot: ${errorMessage(err)}`);
        process.exitCode = 1;
      } finally {
        await closeSharedBrowser();
        await fetcher.close();
        redis.disconnect();
      }
    });
}
