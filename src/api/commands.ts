import { userInfo } from "node:os";
import { Option, type Command } from "commander";
import { eq } from "drizzle-orm";
import { formatTable, truncate } from "../cli/table.ts";
import { loadConfig, type Config } from "../config.ts";
import { migrateDatabase, openDatabase, type Database } from "../db/client.ts";
import { findAppByName } from "../db/repo/watchlists.ts";
import { apiRoles, appSettings, type ApiRole } from "../db/schema.ts";
import { UsageError } from "../errors.ts";
import { recordAudit } from "./audit.ts";
import { csvLine } from "./csv.ts";
import { ApiError } from "./errors.ts";
import { deleteByAuthor, getAppSettings, requireAuthorKey, runRetention } from "./privacy.ts";
import { loadQueries, runNamedQuery } from "./queries.ts";
import { createToken, isRole, listTokens, revokeToken } from "./tokens.ts";

function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli:unknown";
  }
}

async function withDb<T>(fn: (database: Database, config: Readonly<Config>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  await migrateDatabase(config.databaseUrl);
  const database = openDatabase(config.databaseUrl, { max: 4 });
  try {
    return await fn(database, config);
  } catch (err) {
    // The API's own errors name the field just as a CLI usage error does.
    if (err instanceof ApiError && err.statusCode < 500) throw new UsageError(err.message);
    throw err;
  } finally {
    await database.close();
  }
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new UsageError(`port: "${value}" is not a port number (1-65535)`);
  return n;
}

function positive(value: string, what: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${what}: "${value}" is not a positive number`);
  return Number(value);
}

function cell(v: unknown): string | number | null {
  if (v == null) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "number" || typeof v === "string") return v;
  return JSON.stringify(v);
}

/** "--min-reviews" and "--minReviews" both name the parameter minReviews. */
function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Reads "--name value" and "--name=value" pairs left over after commander's own options. */
export function parseParamFlags(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^--([A-Za-z][\w-]*)(?:=(.*))?$/.exec(a);
    if (!m) throw new UsageError(`query: unexpected "${a}" (parameters are given as --name value)`);
    const name = camel(m[1]!);
    if (m[2] !== undefined) out[name] = m[2];
    else if (i + 1 < args.length && !args[i + 1]!.startsWith("--")) out[name] = args[++i]!;
    else out[name] = "true";
  }
  return out;
}

/** The API's commands: `earshot api`, `earshot token …`, `earshot query …`, `earshot retention …`, `earshot delete-author`. */
export function registerApiCommands(program: Command): void {
  program
    .command("api")
    .description("serve the HTTP API (/api, OpenAPI at /docs) and the dashboard until stopped")
    .option("--port <n>", "port", "8080")
    .option("--host <address>", "address to listen on (0.0.0.0 for every interface)", "127.0.0.1")
    .action(async (opts: { port: string; host: string }) => {
      const { startApiServer } = await import("./server.ts");
      const { startRetentionTimer } = await import("./retention-timer.ts");
      const config = loadConfig();
      const running = await startApiServer(config, { port: port(opts.port), host: opts.host });
      const stopTimer = startRetentionTimer(running);
      console.error(`earshot API and dashboard at ${running.url} (OpenAPI at ${running.url}/docs); Ctrl-C to stop`);
      console.error("log in with a token from: earshot token create --role admin --name you");
      await new Promise<void>((resolve) => {
        const stop = () => {
          void stopTimer()
            .then(() => running.close())
            .then(resolve);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });

  const token = program.command("token").description("API tokens: create, list, revoke");
  token
    .command("create")
    .description("create a token; it is printed once, alone on the last line")
    .addOption(new Option("--role <role>", "what it may do").choices([...apiRoles]).makeOptionMandatory())
    .requiredOption("--name <name>", "who or what uses it, e.g. alice or support-desk")
    .action(async (opts: { role: string; name: string }) => {
      if (!isRole(opts.role)) throw new UsageError(`role: must be one of ${apiRoles.join(", ")}`);
      const name = opts.name.trim();
      if (!name) throw new UsageError("name: give the token a name (who or what uses it)");
      await withDb(async (database) => {
        const { token: secret, row } = await createToken(database.db, { name, role: opts.role as ApiRole, createdBy: cliActor() });
        const { tokenHash: _h, ...shown } = row;
        await recordAudit(database.db, { actor: cliActor(), action: "create", entity: "token", entityId: row.id, after: shown });
        console.error(`token ${row.id} (${row.role}) for ${row.name}; it is not shown again:`);
        console.log(secret);
      });
    });
  token
    .command("list")
    .description("list tokens (never their secrets)")
    .option("--all", "include revoked tokens")
    .option("--json", "one JSON object per line")
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      await withDb(async (database) => {
        const rows = await listTokens(database.db, { includeRevoked: Boolean(opts.all) });
        if (opts.json) {
          for (const r of rows) console.log(JSON.stringify(r));
          return;
        }
        console.log(
          formatTable(
            ["id", "name", "role", "starts with", "created by", "created", "last used", "revoked"],
            rows.map((r) => [r.id, r.name, r.role, `${r.prefix}…`, r.createdBy, r.createdAt.toISOString().slice(0, 16), r.lastUsedAt?.toISOString().slice(0, 16) ?? "never", r.revokedAt?.toISOString().slice(0, 16) ?? ""]),
          ),
        );
      });
    });
  token
    .command("revoke <id>")
    .description("revoke a token; it stops working at once")
    .action(async (idText: string) => {
      const id = positive(idText, "id");
      await withDb(async (database) => {
        const before = await revokeToken(database.db, id);
        if (!before) throw new UsageError(`token ${id} does not exist or is revoked already (see: earshot token list)`);
        const { tokenHash: _h, ...shown } = before;
        await recordAudit(database.db, { actor: cliActor(), action: "revoke", entity: "token", entityId: id, before: shown });
        console.log(`token ${id} (${before.name}) revoked`);
      });
    });

  program
    .command("query [name]")
    .description("run a named analyst query of queries/ (parameters as --name value)")
    .option("--list", "list the queries, their purpose and parameters")
    .addOption(new Option("--format <format>", "output").choices(["table", "csv", "json"]).default("table"))
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (name: string | undefined, opts: { list?: boolean; format: string }, cmd: Command) => {
      if (opts.list || !name) {
        const queries = await loadQueries();
        for (const [qname, q] of queries) {
          console.log(`${qname}  ${q.purpose}`);
          for (const [p, spec] of Object.entries(q.params)) {
            console.log(`    --${kebab(p)} <${spec.type}>  ${spec.description}${spec.default != null ? ` (default ${spec.default})` : ""}${spec.required ? " (required)" : ""}`);
          }
        }
        if (!opts.list && !name) process.exitCode = 2;
        return;
      }
      const given = parseParamFlags(cmd.args.slice(1));
      await withDb(async (database) => {
        const result = await runNamedQuery(database, name, given);
        if (opts.format === "json") {
          for (const r of result.rows) console.log(JSON.stringify(r));
        } else if (opts.format === "csv") {
          process.stdout.write(csvLine(result.columns));
          for (const r of result.rows) process.stdout.write(csvLine(result.columns.map((c) => r[c])));
        } else {
          console.log(formatTable(result.columns, result.rows.map((r) => result.columns.map((c) => {
            const v = cell(r[c]);
            return typeof v === "string" ? truncate(v, 60) : v;
          }))));
          console.error(`${result.rows.length} row(s) — ${result.purpose}`);
        }
      });
    });

  const retention = program.command("retention").description("privacy and retention: keep mentions N days per app, pseudonymise authors");
  retention
    .command("set")
    .description("set an app's retention and author pseudonymisation")
    .requiredOption("--app <name>", "app name or alias")
    .option("--days <n>", 'keep mentions this many days ("off" keeps them)')
    .addOption(new Option("--pseudonymise <on|off>", "store a keyed hash instead of author names").choices(["on", "off"]))
    .action(async (opts: { app: string; days?: string; pseudonymise?: string }) => {
      if (opts.days === undefined && opts.pseudonymise === undefined) throw new UsageError("nothing to change: give --days and/or --pseudonymise");
      const days = opts.days === undefined ? undefined : opts.days === "off" ? null : positive(opts.days, "days");
      if (opts.pseudonymise === "on") requireAuthorKey();
      await withDb(async (database) => {
        const app = await findAppByName(database.db, opts.app);
        if (!app) throw new UsageError(`app: no app is named "${opts.app}"`);
        const before = await getAppSettings(database, app.id);
        const values = {
          appId: app.id,
          retentionDays: days === undefined ? before.retentionDays : days,
          pseudonymiseAuthors: opts.pseudonymise === undefined ? before.pseudonymiseAuthors : opts.pseudonymise === "on",
          updatedBy: cliActor(),
          updatedAt: new Date(),
        };
        const [after] = await database.db.insert(appSettings).values(values).onConflictDoUpdate({ target: appSettings.appId, set: values }).returning();
        await recordAudit(database.db, { actor: cliActor(), action: "update", entity: "app_settings", entityId: app.id, before, after });
        console.log(`${app.name}: keep mentions ${after!.retentionDays ? `${after!.retentionDays} days` : "forever"}; authors ${after!.pseudonymiseAuthors ? "pseudonymised" : "as written"}`);
      });
    });
  retention
    .command("run")
    .description("delete mentions past their app's retention (daily counts are kept) and pseudonymise authors now")
    .action(async () => {
      await withDb(async (database) => {
        const r = await runRetention(database);
        await recordAudit(database.db, { actor: cliActor(), action: "retention", entity: "mentions", after: r });
        console.log(r.skipped ? `skipped: ${r.skipped}` : `${r.deletedMentions} mention(s) deleted, ${r.rolledUp} daily count row(s) kept, ${r.pseudonymised} author(s) pseudonymised`);
      });
    });
  retention
    .command("show")
    .description("list apps' retention and pseudonymisation settings")
    .action(async () => {
      await withDb(async (database) => {
        const { apps } = await import("../db/schema.ts");
        const rows = await database.db.select({ name: apps.name, s: appSettings }).from(apps).leftJoin(appSettings, eq(appSettings.appId, apps.id));
        console.log(formatTable(["app", "keep mentions", "authors"], rows.map((r) => [r.name, r.s?.retentionDays ? `${r.s.retentionDays} days` : "forever", r.s?.pseudonymiseAuthors ? "pseudonymised" : "as written"])));
      });
    });

  program
    .command("delete-author")
    .description("delete every mention by an author (a removal request under PIPL/GDPR)")
    .requiredOption("--author <name>", "the author's name as the site shows it (or its pseudonym)")
    .option("--app <name>", "only mentions of this app")
    .action(async (opts: { author: string; app?: string }) => {
      await withDb(async (database) => {
        let appId: number | undefined;
        if (opts.app) {
          const app = await findAppByName(database.db, opts.app);
          if (!app) throw new UsageError(`app: no app is named "${opts.app}"`);
          appId = app.id;
        }
        const deleted = await deleteByAuthor(database, opts.author, appId);
        await recordAudit(database.db, { actor: cliActor(), action: "delete-by-author", entity: "mentions", after: { deleted, app: appId ?? null } });
        console.log(`${deleted} mention(s) deleted`);
      });
    });
}
