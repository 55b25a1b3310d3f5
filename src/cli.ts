import { readFile } from "node:fs/promises";
import { Command, CommanderError, Option } from "commander";
import { ZodError } from "zod";
import { registerAlertCommands } from "./alerts/commands.ts";
import { registerApiCommands } from "./api/commands.ts";
import { actor, getConfig, reconcileAfterChange, withDatabase } from "./cli/context.ts";
import { crawlNow } from "./cli/crawl-now.ts";
import { formatTable, truncate } from "./cli/table.ts";
import { parseDuration } from "./config.ts";
import { migrateDatabase } from "./db/client.ts";
import { ApiError } from "./api/errors.ts";
import { appFieldsFromOptions } from "./apps.ts";
import { searchMentions, searchSchema, type MentionResult } from "./api/search.ts";
import {
  createWatchlist,
  deleteWatchlist,
  findSameWatchlist,
  getWatchlist,
  listWatchlists,
  updateApp,
  updateWatchlist,
  upsertApp,
  type WatchlistPatch,
} from "./db/repo/watchlists.ts";
import { ConfigError, UsageError, errorMessage } from "./errors.ts";
import { decodeBody } from "./fetch/charset.ts";
import { registerNlpCommands } from "./nlp/commands.ts";
import { registerSourceCommands } from "./sources/commands.ts";
import { parseGooglePlayReviews } from "./sources/googleplay.ts";
import { getSource, sourceIds } from "./sources/index.ts";
import { formatSeconds, parseInterval, splitList, validateWatchlist } from "./watchlists.ts";

function positiveNumber(value: string, what: string, meaning = "a positive number"): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${what}: "${value}" is not ${meaning}`);
  return Number(value);
}

function positiveId(value: string, what = "ID"): number {
  return positiveNumber(value, what, "a watchlist id (a positive number)");
}

/** The app options of `watch add` and `watch edit`, through the validator the API uses. */
function appOptions(opts: Record<string, string | undefined>) {
  return appFieldsFromOptions({
    aliases: opts.aliases,
    appstoreId: opts.appstoreId,
    appstoreCountries: opts.countries,
    playPackage: opts.playPackage,
    playLangs: opts.playLangs,
    taptapId: opts.taptapId,
    taptapRegion: opts.taptapRegion,
  });
}

function forumIds(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const list = splitList(value);
  for (const id of list) if (!/^\d+$/.test(id) || Number(id) < 1) throw new UsageError(`forums: "${id}" is not a forum id (see: earshot forum list)`);
  return list.map(Number);
}

export function buildProgram(): Command {
  const program = new Command("earshot")
    .description("Hear what users say about your app on Weibo, forums and app stores")
    .showHelpAfterError()
    .exitOverride();

  program
    .command("migrate")
    .description("create the database if needed and apply migrations")
    .action(async () => {
      await migrateDatabase(getConfig().databaseUrl);
      console.log("migrations applied");
    });

  program
    .command("worker")
    .description("run crawl jobs on their schedules until stopped (SIGINT/SIGTERM stop it gracefully)")
    .addOption(new Option("--concurrency <n>", "jobs at once").argParser((v) => positiveNumber(v, "concurrency")))
    .option("--api [port]", "also serve the API and dashboard (default port 8080)")
    .action(async (opts: { concurrency?: number; api?: string | true }) => {
      const { startWorker } = await import("./worker.ts");
      const running = await startWorker(getConfig(), {
        ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
        ...(opts.api ? { api: { port: opts.api === true ? 8080 : positiveNumber(opts.api, "api") } } : {}),
      });
      if (running.apiUrl) console.error(`API and dashboard at ${running.apiUrl}`);
      console.error(`earshot worker running (queue prefix "${getConfig().queuePrefix}"); Ctrl-C to stop`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          console.error(`${signal}: finishing running jobs, then stopping`);
          void running.close().then(resolve);
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
      });
    });

  const watch = program.command("watch").description("manage watchlists: which app, keywords and sources, how often");
  watch
    .command("add")
    .description("watch an app on some sources")
    .requiredOption("--app <name>", "app name as users write it, e.g. 微信")
    .option("--aliases <list>", "other names, comma-separated, e.g. WeChat,weixin")
    .option("--keywords <list>", "comma-separated, e.g. 闪退,卡顿 (store sources: empty = every review)")
    .requiredOption("--sources <list>", `comma-separated: ${sourceIds().join(", ")}`)
    .option("--every <duration>", "how often, e.g. 15m, 1h", "30m")
    .option("--appstore-id <id>", "App Store id (found from the app name when omitted)")
    .option("--countries <list>", "App Store storefronts, e.g. cn,us,jp")
    .option("--play-package <name>", "Google Play package, e.g. com.tencent.mm")
    .option("--play-langs <list>", "Google Play review languages as lang-country, e.g. en-us,ja-jp (default en-us)")
    .option("--taptap-id <id>", "TapTap app id, e.g. 168332 (from taptap.cn/app/168332)")
    .option("--taptap-region <region>", "cn (taptap.cn, the default) or intl (taptap.io)")
    .option("--forums <ids>", "forums for the discourse, forum and tieba sources, e.g. 1,2 (see: earshot forum list)")
    .option("--disabled", "create it without scheduling it")
    .action(async (opts) => {
      const keywords = splitList(opts.keywords);
      const sources = splitList(opts.sources);
      const intervalSec = parseInterval(opts.every);
      validateWatchlist({ keywords, sources, intervalSec });
      const appInput = { ...appOptions(opts), name: appFieldsFromOptions({ name: String(opts.app) }).name! };
      await withDatabase(async (database) => {
        const app = await upsertApp(database.db, appInput);
        const same = await findSameWatchlist(database.db, { appId: app.id, keywords, sources });
        if (same) throw new UsageError(`watchlist ${same.id} already watches ${app.name} for these keywords on these sources`);
        const w = await createWatchlist(database.db, { appId: app.id, keywords, sources, intervalSec, enabled: !opts.disabled, forumIds: forumIds(opts.forums) ?? [], by: actor() });
        await reconcileAfterChange(database);
        console.log(`watchlist ${w.id}: ${app.name} [${keywords.join(", ") || "all reviews"}] on ${sources.join(", ")} every ${formatSeconds(intervalSec)}`);
        console.log(w.id);
      });
    });

  watch
    .command("list")
    .description("list watchlists")
    .option("--json", "one JSON object per line")
    .action(async (opts: { json?: boolean }) => {
      await withDatabase(async (database) => {
        const rows = await listWatchlists(database.db);
        if (opts.json) {
          for (const w of rows) console.log(JSON.stringify({ id: w.id, app: w.app.name, keywords: w.keywords, sources: w.sources, intervalSec: w.intervalSec, enabled: w.enabled, appstoreId: w.app.appstoreId, countries: w.app.appstoreCountries }));
          return;
        }
        console.log(
          formatTable(
            ["id", "app", "keywords", "sources", "every", "enabled", "updated by"],
            rows.map((w) => [w.id, w.app.name, w.keywords.join(",") || "(all reviews)", w.sources.join(","), formatSeconds(w.intervalSec), w.enabled ? "yes" : "no", w.updatedBy]),
          ),
        );
      });
    });

  watch
    .command("edit <id>")
    .description("change a watchlist (and its app's store ids)")
    .option("--keywords <list>", "replace the keywords")
    .option("--sources <list>", "replace the sources")
    .option("--every <duration>", "new interval")
    .option("--enable", "schedule it again")
    .option("--forums <ids>", "replace the forums, e.g. 1,2")
    .option("--appstore-id <id>", "set the app's App Store id")
    .option("--countries <list>", "set the app's App Store storefronts")
    .option("--play-package <name>", "set the app's Google Play package")
    .option("--play-langs <list>", "set the app's Google Play review languages, e.g. en-us,ja-jp")
    .option("--taptap-id <id>", "set the app's TapTap app id")
    .option("--taptap-region <region>", "set the app's TapTap region: cn or intl")
    .action(async (idText: string, opts) => {
      const id = positiveId(idText);
      await withDatabase(async (database) => {
        const current = await getWatchlist(database.db, id);
        if (!current) throw new UsageError(`watchlist ${id} does not exist (see: earshot watch list)`);
        const patch: WatchlistPatch = {};
        if (opts.keywords !== undefined) patch.keywords = splitList(opts.keywords);
        if (opts.sources !== undefined) patch.sources = splitList(opts.sources);
        if (opts.every !== undefined) patch.intervalSec = parseInterval(opts.every);
        if (opts.enable) patch.enabled = true;
        if (opts.forums !== undefined) patch.forumIds = forumIds(opts.forums)!;
        validateWatchlist({
          keywords: patch.keywords ?? current.keywords,
          sources: patch.sources ?? current.sources,
          intervalSec: patch.intervalSec ?? current.intervalSec,
        });
        const appPatch = appOptions(opts);
        if (Object.keys(patch).length === 0 && Object.keys(appPatch).length === 0) throw new UsageError("nothing to change: give at least one option (see --help)");
        if (Object.keys(appPatch).length) await updateApp(database.db, current.appId, appPatch);
        await updateWatchlist(database.db, id, patch, actor());
        await reconcileAfterChange(database);
        console.log(`watchlist ${id} updated`);
      });
    });

  watch
    .command("disable <id>")
    .description("stop scheduling a watchlist (its mentions stay)")
    .action(async (idText: string) => {
      const id = positiveId(idText);
      await withDatabase(async (database) => {
        if (!(await updateWatchlist(database.db, id, { enabled: false }, actor()))) throw new UsageError(`watchlist ${id} does not exist`);
        await reconcileAfterChange(database);
        console.log(`watchlist ${id} disabled`);
      });
    });

  watch
    .command("rm <id>")
    .description("delete a watchlist and its matches (mentions found by others stay)")
    .action(async (idText: string) => {
      const id = positiveId(idText);
      await withDatabase(async (database) => {
        if (!(await deleteWatchlist(database.db, id))) throw new UsageError(`watchlist ${id} does not exist`);
        await reconcileAfterChange(database);
        console.log(`watchlist ${id} deleted`);
      });
    });

  program
    .command("crawl")
    .description("crawl one watchlist now, through the queue, and print what it found")
    .requiredOption("--watch <id>", "watchlist id")
    .option("--source <id>", "only this source")
    .option("--json", "print the run results as JSON lines")
    .action(async (opts: { watch: string; source?: string; json?: boolean }) => {
      const id = positiveId(opts.watch, "watch");
      const cfg = getConfig();
      const w = await withDatabase((database) => getWatchlist(database.db, id));
      if (!w) throw new UsageError(`watchlist ${id} does not exist (see: earshot watch list)`);
      if (opts.source && !w.sources.includes(opts.source)) {
        throw new UsageError(`source: watchlist ${id} does not use "${opts.source}" (it uses ${w.sources.join(", ")})`);
      }
      const results = await crawlNow(cfg, (opts.source ? [opts.source] : w.sources).map((source) => ({ watchlistId: id, source })));
      if (opts.json) {
        for (const r of results) console.log(JSON.stringify(r));
      } else {
        console.log(
          formatTable(
            ["source", "status", "requests", "seen", "new", "duplicates", "message"],
            results.map((r) => [r.source, r.result?.status ?? "failed", r.result?.requests, r.result?.seen, r.result?.new, r.result?.duplicates, r.error ?? r.result?.message ?? ""]),
          ),
        );
      }
      if (results.some((r) => r.error)) process.exitCode = 1;
    });

  program
    .command("mentions")
    .description("list recent mentions of an app")
    .option("--app <name>", "app name or alias")
    .option("--source <id>", "only this source")
    .option("--since <duration>", "how far back, e.g. 1d, 12h", "7d")
    .option("--limit <n>", "at most this many", "50")
    .option("--duplicates", "include reposts of texts already listed")
    .option("--json", "one JSON object per line")
    .action(async (opts) => {
      let since: Date;
      try {
        since = new Date(Date.now() - parseDuration(opts.since));
      } catch {
        throw new UsageError(`since: "${opts.since}" is not a duration such as 12h or 7d`);
      }
      if (opts.source && !getSource(opts.source)) throw new UsageError(`source: unknown source "${opts.source}" (known: ${sourceIds().join(", ")})`);
      const limit = positiveNumber(opts.limit, "limit");
      await withDatabase(async (database) => {
        let rows: MentionResult[];
        try {
          const params = searchSchema.parse({ app: opts.app, source: opts.source, from: since.toISOString(), limit, includeDuplicates: opts.duplicates ? "true" : "false" });
          rows = (await searchMentions(database, params)).items;
        } catch (err) {
          if (err instanceof ApiError || err instanceof ZodError) throw new UsageError(err instanceof ZodError ? err.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") : err.message);
          throw err;
        }
        if (opts.json) {
          for (const r of rows) console.log(JSON.stringify(r));
          return;
        }
        console.log(
          formatTable(
            ["published", "source", "rating", "sentiment", "keywords", "text", "url"],
            rows.map((r) => [
              (r.publishedAt ?? r.fetchedAt).slice(0, 16).replace("T", " "),
              r.source,
              r.rating ? "★".repeat(r.rating) : "",
              r.sentimentLabel ?? "",
              r.keywords.join(","),
              truncate([r.title, r.text].filter(Boolean).join(" — "), 60),
              r.url ?? "",
            ]),
          ),
        );
        console.error(`${rows.length} mention(s)`);
      });
    });

  program
    .command("parse <source> <file>")
    .description("parse a saved response of a source and print one JSON object per mention")
    .option("--play-package <name>", "googleplay: the app's package, for review links (the saved answer does not name it)")
    .action(async (sourceId: string, file: string, opts: { playPackage?: string }) => {
      const adapter = getSource(sourceId);
      if (!adapter) throw new UsageError(`source: unknown source "${sourceId}" (known: ${sourceIds().join(", ")})`);
      if (opts.playPackage !== undefined && sourceId !== "googleplay") throw new UsageError(`play-package: only googleplay answers need it, not ${sourceId}`);
      const packageName = opts.playPackage === undefined ? undefined : appFieldsFromOptions({ playPackage: opts.playPackage }).playPackage!;
      let body: string;
      try {
        // Saved pages keep the site's charset (Tieba's legacy pages are GBK): decode as a fetch would.
        body = decodeBody(await readFile(file), undefined).text;
      } catch (err) {
        throw new UsageError(`file: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`);
      }
      const mentions = packageName ? parseGooglePlayReviews(body, { packageName }).items : adapter.parse(body);
      for (const m of mentions) {
        const items = m.reposted ? [m.reposted, m] : [m];
        for (const it of items) {
          console.log(
            JSON.stringify({
              source: adapter.id,
              externalId: it.externalId,
              url: it.url,
              author: it.author,
              title: it.title,
              text: it.text,
              publishedAt: it.publishedAt?.toISOString() ?? null,
              rating: it.rating ?? null,
            }),
          );
        }
      }
    });

  program
    .command("demo")
    .description("crawl demo watchlists against the local sandbox and print what was found")
    .option("--json", "end with one JSON line of totals")
    .option("--serve", "keep the API and dashboard running after the crawl; prints the URL and a token")
    .option("--port <n>", "port for --serve", "8080")
    .action(async (opts: { json?: boolean; serve?: boolean; port: string }) => {
      const { runDemo } = await import("./demo/index.ts");
      await runDemo({ json: Boolean(opts.json), ...(opts.serve ? { serve: { port: positiveNumber(opts.port, "port") } } : {}) });
    });

  program
    .command("sandbox")
    .description("serve the local stand-in for the real sites (for trying earshot without the internet)")
    .option("--port <n>", "port", "8700")
    .action(async (opts: { port: string }) => {
      const { startSandbox } = await import("./sandbox/server.ts");
      const sandbox = await startSandbox({ port: positiveNumber(opts.port, "port") });
      console.log(`sandbox at ${sandbox.url}; point earshot at it with EARSHOT_SANDBOX_URL=${sandbox.url}`);
      await new Promise<void>((resolve) => process.once("SIGINT", () => void sandbox.close().then(resolve)));
    });

  registerApiCommands(program);

  registerSourceCommands(program);
  registerAlertCommands(program);
  registerNlpCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its own message (and help) already.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UsageError || err instanceof ConfigError) {
      console.error(`earshot: ${err.message}`);
      return 2;
    }
    console.error(`earshot: ${errorMessage(err)}`);
    if (process.env.LOG_LEVEL === "debug") console.error(err);
    return 1;
  }
}
