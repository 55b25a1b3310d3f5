import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { Option, type Command } from "commander";
import { actor, getConfig, withDatabase } from "../cli/context.ts";
import { formatTable, truncate } from "../cli/table.ts";
import { parseDuration } from "../config.ts";
import type { AlertRuleKind, AlertState } from "../db/schema.ts";
import { UsageError } from "../errors.ts";
import { notifyQueue, redisConnection } from "../queues.ts";
import { closeHttpAgents } from "./http.ts";
import {
  ackAlert,
  addChannel,
  addRule,
  deliveryLogOf,
  listAlerts,
  listChannels,
  listRules,
  removeChannel,
  removeRule,
  resolveAlert,
  retryAlert,
  testChannel,
  updateAlertSettings,
  updateChannel,
  updateRule,
  type RulePatch,
} from "./repo.ts";
import { parseSeverity } from "./rules.ts";

function id(value: string, what: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${what}: "${value}" is not an id (a positive number)`);
  return Number(value);
}

function ids(value: string | undefined, what: string): number[] | undefined {
  return value === undefined ? undefined : value.split(",").map((s) => s.trim()).filter(Boolean).map((s) => id(s, what));
}

function num(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`${what}: "${value}" is not a number`);
  return n;
}

function minutes(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (value === "off" || value === "0") return 0;
  try {
    const ms = parseDuration(value);
    if (ms % 60_000 !== 0) throw new Error();
    return ms / 60_000;
  } catch {
    throw new UsageError(`${what}: "${value}" is not a whole number of minutes such as 30m or 1h`);
  }
}

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(",").map((s) => s.trim()).filter(Boolean);
}

function readSecret(opts: { secret?: string | boolean; secretStdin?: boolean }): string | undefined {
  if (opts.secretStdin) return readFileSync(0, "utf8").trim() || undefined;
  return typeof opts.secret === "string" ? opts.secret : undefined;
}

function yesNo(value: string | undefined, what: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === "yes" || value === "no") return value === "yes";
  throw new UsageError(`${what}: "${value}" is not yes or no`);
}

/** A kind option of `rule add` and `rule edit`: the param it sets, read from the option's text. */
interface KindOption {
  flag: string;
  help: string;
  kind: AlertRuleKind;
  param: string;
  parse: (value: string | undefined, what: string) => unknown;
  /** Only `rule add` fills defaults; `rule edit` changes what is given. */
  addDefault: string | undefined;
}

const KIND_OPTIONS: KindOption[] = [
  { flag: "--max-rating <n>", help: "low-rating: alert at or below this many stars", kind: "low_rating", param: "maxRating", parse: num, addDefault: "2" },
  { flag: "--max-score <x>", help: "complaint: alert at or below this sentiment score (-1…1)", kind: "complaint", param: "maxScore", parse: num, addDefault: "-0.2" },
  { flag: "--categories <list>", help: "complaint: only these complaint categories (empty: all)", kind: "complaint", param: "categories", parse: list, addDefault: undefined },
  { flag: "--words <list>", help: "keyword: must-know words, comma-separated (泄露,诈骗,封号,lawsuit,data breach)", kind: "keyword", param: "words", parse: list, addDefault: undefined },
  { flag: "--window <duration>", help: "spike: sliding window", kind: "spike", param: "windowMinutes", parse: minutes, addDefault: "1h" },
  { flag: "--min-count <n>", help: "spike: negative mentions needed at least", kind: "spike", param: "minCount", parse: num, addDefault: "10" },
  { flag: "--factor <k>", help: "spike: times the usual count for this hour of the week", kind: "spike", param: "factor", parse: num, addDefault: "3" },
  { flag: "--weeks <n>", help: "spike: past weeks that make the usual count", kind: "spike", param: "weeks", parse: num, addDefault: "4" },
  { flag: "--failing-runs <n>", help: "source-health: failed runs in a row", kind: "source_health", param: "failingRuns", parse: num, addDefault: "3" },
  { flag: "--silent-runs <n>", help: "source-health: empty runs in a row where runs used to parse plenty", kind: "source_health", param: "silentRuns", parse: num, addDefault: "2" },
  { flag: "--plenty <n>", help: "source-health: what plenty means (items per run)", kind: "source_health", param: "plentyItems", parse: num, addDefault: "10" },
];

function attributeOf(p: KindOption): string {
  return new Option(p.flag).attributeName();
}

/** The params the chosen kind options give, by param name; options left out are left out. */
function kindParams(opts: Record<string, string | undefined>, chosen: (p: KindOption) => boolean): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const p of KIND_OPTIONS.filter(chosen)) {
    const value = p.parse(opts[attributeOf(p)], p.flag.split(" ")[0]!.slice(2));
    if (value !== undefined) params[p.param] = value;
  }
  return params;
}

/** `30m` → 1800; `off` or `0` → 0. */
function cooldownSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (value === "off" || value === "0") return 0;
  try {
    return Math.round(parseDuration(value) / 1000);
  } catch {
    throw new UsageError(`cooldown: "${value}" is not a duration such as 30m or 2h`);
  }
}

/** `earshot rule|channel|alerts …`: admins configure rules and channels; operators work alerts. */
export function registerAlertCommands(program: Command): void {
  const rule = program.command("rule").description("alert rules: when a mention (or a source) should alert someone");
  const add = rule
    .command("add")
    .description("add a rule to a watchlist (source-health rules take no watchlist)")
    .requiredOption("--kind <kind>", "low-rating, complaint, keyword, spike or source-health")
    .option("--watch <id>", "watchlist id")
    .option("--severity <s>", "info, warning or critical (default depends on the kind)")
    .option("--channels <ids>", "channel ids, comma-separated (default: every enabled channel)");
  for (const p of KIND_OPTIONS) add.addOption(new Option(p.flag, p.help).default(p.addDefault));
  add
    .option("--cooldown <duration>", "no second delivered alert for the same thread or author within this time, e.g. 30m")
    .addOption(new Option("--cooldown-by <what>", "what the cooldown counts per").choices(["thread", "author"]).default("thread"))
    .action(async (opts) => {
      const kind = String(opts.kind).replace(/-/g, "_");
      const params = kindParams(opts, (p) => p.kind === kind);
      await withDatabase(async ({ sql }) => {
        const r = await addRule(sql, {
          kind: opts.kind,
          watchlistId: opts.watch ? id(opts.watch, "watch") : null,
          severity: opts.severity ? parseSeverity(opts.severity) : undefined,
          params,
          channelIds: ids(opts.channels, "channels") ?? [],
          cooldownSec: cooldownSeconds(opts.cooldown) ?? 0,
          cooldownBy: opts.cooldownBy,
          by: actor(),
        });
        console.log(`rule ${r.id} added`);
        console.log(r.id);
      });
    });
  const edit = rule
    .command("edit <id>")
    .description("change a rule in place; what is not given stays as it is (kind options of another kind are refused)")
    .option("--severity <s>", "info, warning or critical")
    .option("--channels <ids>", "channel ids, comma-separated, or all (every enabled channel)");
  for (const p of KIND_OPTIONS) edit.addOption(new Option(p.flag, p.help));
  edit
    .option("--cooldown <duration>", "a new cooldown, e.g. 30m (off: none)")
    .addOption(new Option("--cooldown-by <what>", "what the cooldown counts per").choices(["thread", "author"]))
    .option("--enable", "resume the rule")
    .option("--disable", "pause the rule (it alerts on nothing until enabled)")
    .action(async (text: string, opts) => {
      if (opts.enable && opts.disable) throw new UsageError("give --enable or --disable, not both");
      const params = kindParams(opts, (p) => opts[attributeOf(p)] !== undefined);
      const patch: RulePatch = {
        severity: opts.severity !== undefined ? parseSeverity(opts.severity) : undefined,
        params: Object.keys(params).length > 0 ? params : undefined,
        channelIds: opts.channels === "all" ? [] : ids(opts.channels, "channels"),
        cooldownSec: cooldownSeconds(opts.cooldown),
        cooldownBy: opts.cooldownBy,
        enabled: opts.enable ? true : opts.disable ? false : undefined,
      };
      if (Object.values(patch).every((v) => v === undefined)) {
        throw new UsageError("nothing to change: give --severity, --channels, a kind option, --cooldown, --cooldown-by, --enable or --disable");
      }
      await withDatabase(async ({ sql }) => {
        if (!(await updateRule(sql, id(text, "ID"), patch))) throw new UsageError(`rule ${text} does not exist (see: earshot rule list)`);
        console.log(`rule ${text} updated`);
      });
    });
  rule
    .command("list")
    .description("list rules")
    .option("--watch <id>", "only this watchlist's")
    .option("--json", "one JSON object per line")
    .action(async (opts: { watch?: string; json?: boolean }) => {
      await withDatabase(async ({ sql }) => {
        const rows = await listRules(sql, opts.watch ? id(opts.watch, "watch") : undefined);
        if (opts.json) return rows.forEach((r) => console.log(JSON.stringify(r)));
        console.log(
          formatTable(
            ["id", "watch", "app", "kind", "severity", "params", "channels", "cooldown"],
            rows.map((r) => [r.id, r.watchlistId ?? "all", r.app ?? "", r.kind, r.severity, JSON.stringify(r.params), r.channelIds.join(",") || "all", r.cooldownSec ? `${r.cooldownSec}s per ${r.cooldownBy}` : ""]),
          ),
        );
      });
    });
  rule
    .command("rm <id>")
    .description("delete a rule (its alerts stay)")
    .action(async (text: string) => {
      await withDatabase(async ({ sql }) => {
        if (!(await removeRule(sql, id(text, "ID")))) throw new UsageError(`rule ${text} does not exist`);
        console.log(`rule ${text} deleted`);
      });
    });

  const channel = program.command("channel").description("where alerts go: webhook, Slack, DingTalk, WeCom, Feishu, email, console");
  channel
    .command("add")
    .description("add a channel; its URL is checked now and again at every send")
    .requiredOption("--name <name>", "a name operators recognise")
    .requiredOption("--kind <kind>", "webhook, slack, dingtalk, wecom, feishu, email or console")
    .option("--url <url>", "the webhook URL, or smtps://user@host:465 (smtp://…:587 needs STARTTLS)")
    .option("--secret <secret>", "signing secret (webhook, DingTalk, Feishu) or SMTP password")
    .option("--secret-stdin", "read the secret from standard input instead (keeps it out of shell history)")
    .option("--from <address>", "email: sender")
    .option("--to <list>", "email: recipients, comma-separated")
    .addOption(new Option("--format <f>", "feishu: card or text").choices(["card", "text"]))
    .option("--allow-private-targets", "allow loopback, private, link-local and metadata addresses (a local receiver)")
    .option("--allow-insecure", "allow http:// (and SMTP without STARTTLS)")
    .action(async (opts) => {
      let secret = readSecret(opts);
      let generated = false;
      if (opts.kind === "webhook" && !secret) {
        // A webhook without a secret cannot be verified by its receiver: make one.
        secret = randomBytes(24).toString("base64url");
        generated = true;
      }
      const settings: Record<string, unknown> = {};
      if (opts.from !== undefined) settings.from = opts.from;
      if (opts.to !== undefined) settings.to = list(opts.to);
      if (opts.format !== undefined) settings.format = opts.format;
      await withDatabase(async ({ sql }) => {
        const c = await addChannel(sql, {
          name: opts.name,
          kind: opts.kind,
          target: opts.url,
          secret: secret ?? null,
          settings,
          allowPrivateTargets: Boolean(opts.allowPrivateTargets),
          allowInsecure: Boolean(opts.allowInsecure),
          by: actor(),
        });
        console.log(`channel ${c.id} added`);
        if (generated) console.error(`signing secret (shown once; the receiver verifies X-Earshot-Signature with it): ${secret}`);
        console.log(c.id);
      });
    });
  channel
    .command("update <id>")
    .description("change a channel in place (its rules keep it): a new URL is checked as on add")
    .option("--name <name>", "a new name")
    .option("--url <url>", "a new webhook URL or smtps:// server")
    .option("--secret <secret>", "a new signing secret or SMTP password (rotation)")
    .option("--secret-stdin", "read the new secret from standard input instead")
    .option("--no-secret", "remove the secret")
    .option("--from <address>", "email: sender")
    .option("--to <list>", "email: recipients, comma-separated")
    .addOption(new Option("--format <f>", "feishu: card or text").choices(["card", "text"]))
    .option("--allow-private-targets <yes|no>", "allow loopback, private, link-local and metadata addresses")
    .option("--allow-insecure <yes|no>", "allow http:// (and SMTP without STARTTLS)")
    .action(async (text: string, opts) => {
      const secret = opts.secret === false ? null : readSecret(opts);
      const settings: Record<string, unknown> = {};
      if (opts.from !== undefined) settings.from = opts.from;
      if (opts.to !== undefined) settings.to = list(opts.to);
      if (opts.format !== undefined) settings.format = opts.format;
      await withDatabase(async ({ sql }) => {
        const found = await updateChannel(sql, id(text, "ID"), {
          name: opts.name,
          target: opts.url,
          secret,
          settings: Object.keys(settings).length > 0 ? settings : undefined,
          allowPrivateTargets: yesNo(opts.allowPrivateTargets, "--allow-private-targets"),
          allowInsecure: yesNo(opts.allowInsecure, "--allow-insecure"),
        });
        if (!found) throw new UsageError(`channel ${text} does not exist`);
        console.log(`channel ${text} updated`);
      });
    });
  channel
    .command("list")
    .description("list channels (URLs redacted, secrets never shown)")
    .option("--json", "one JSON object per line")
    .action(async (opts: { json?: boolean }) => {
      await withDatabase(async ({ sql }) => {
        const rows = await listChannels(sql);
        if (opts.json) return rows.forEach((r) => console.log(JSON.stringify(r)));
        console.log(
          formatTable(
            ["id", "name", "kind", "target", "secret", "private ok", "http ok", "enabled"],
            rows.map((r) => [r.id, r.name, r.kind, r.target, r.hasSecret ? "set" : "", r.allowPrivateTargets ? "yes" : "", r.allowInsecure ? "yes" : "", r.enabled ? "yes" : "no"]),
          ),
        );
      });
    });
  channel
    .command("test <id>")
    .description("send a test message now and print the answer")
    .action(async (text: string) => {
      await withDatabase(async ({ sql }) => {
        try {
          const r = await testChannel(sql, id(text, "ID"), getConfig().alerts.timeoutMs);
          console.log(`test message delivered${r.status !== null ? ` (status ${r.status})` : ""} in ${r.ms} ms`);
        } finally {
          await closeHttpAgents();
        }
      });
    });
  channel
    .command("rm <id>")
    .description("delete a channel (its pending deliveries go with it)")
    .action(async (text: string) => {
      await withDatabase(async ({ sql }) => {
        if (!(await removeChannel(sql, id(text, "ID")))) throw new UsageError(`channel ${text} does not exist`);
        console.log(`channel ${text} deleted`);
      });
    });

  const alerts = program.command("alerts").description("alerts for operators: list, acknowledge, resolve, retry");
  alerts
    .command("list")
    .description("list recent alerts")
    .addOption(new Option("--state <state>", "only this state").choices(["open", "acked", "resolved"]))
    .option("--app <name>", "only this app")
    .option("--limit <n>", "at most this many", "50")
    .option("--json", "one JSON object per line")
    .action(async (opts: { state?: AlertState; app?: string; limit: string; json?: boolean }) => {
      await withDatabase(async ({ sql }) => {
        const rows = await listAlerts(sql, { state: opts.state, app: opts.app, limit: id(opts.limit, "limit") });
        if (opts.json) return rows.forEach((r) => console.log(JSON.stringify(r)));
        console.log(
          formatTable(
            ["id", "created", "severity", "state", "title", "delivered", "pending", "dead", "by"],
            rows.map((r) => [
              r.id,
              new Date(r.createdAt).toISOString().slice(0, 16).replace("T", " "),
              r.severity,
              r.state,
              truncate(r.title, 60),
              r.suppressed ? `(${r.suppressed})` : r.delivered,
              r.pending,
              r.dead,
              r.resolvedBy ?? r.ackedBy ?? "",
            ]),
          ),
        );
      });
    });
  alerts
    .command("show <id>")
    .description("every delivery attempt of an alert: status, latency, error")
    .action(async (text: string) => {
      await withDatabase(async ({ sql }) => {
        const rows = await deliveryLogOf(sql, id(text, "ID"));
        console.log(
          formatTable(
            ["channel", "state", "try", "at", "status", "ms", "error"],
            rows.map((r) => [r.channel, r.state, r.attempt, new Date(r.at).toISOString().replace("T", " ").slice(0, 19), r.statusCode ?? "", r.latencyMs ?? "", r.error ?? ""]),
          ),
        );
      });
    });
  alerts
    .command("ack <id>")
    .description("acknowledge an open alert (someone is on it)")
    .action(async (text: string) => {
      await withDatabase(async ({ sql }) => {
        await ackAlert(sql, id(text, "ID"), actor());
        console.log(`alert ${text} acknowledged by ${actor()}`);
      });
    });
  alerts
    .command("resolve <id>")
    .description("resolve an alert")
    .option("--note <text>", "what was done")
    .action(async (text: string, opts: { note?: string }) => {
      await withDatabase(async ({ sql }) => {
        await resolveAlert(sql, id(text, "ID"), actor(), opts.note ?? null);
        console.log(`alert ${text} resolved by ${actor()}`);
      });
    });
  alerts
    .command("retry <id>")
    .description("send an alert's dead deliveries again, with a fresh set of tries")
    .action(async (text: string) => {
      const config = getConfig();
      await withDatabase(async ({ sql }) => {
        const connection = redisConnection(config.redisUrl);
        const queue = notifyQueue(config, connection);
        try {
          const n = await retryAlert(sql, queue, id(text, "ID"), config.alerts);
          console.log(n ? `${n} dead deliver${n === 1 ? "y" : "ies"} of alert ${text} queued again` : `alert ${text} has no dead deliveries`);
        } finally {
          await queue.close();
          connection.disconnect();
        }
      });
    });
  alerts
    .command("settings")
    .description("noise control of a watchlist: mute, digest, quiet hours")
    .requiredOption("--watch <id>", "watchlist id")
    .option("--mute", "record alerts without delivering them")
    .option("--unmute", "deliver again")
    .option("--digest <duration>", "one message per channel for all alerts of this many minutes, e.g. 15m (off: each alone)")
    .option("--quiet <range>", "quiet hours HH:MM-HH:MM, e.g. 22:00-08:00 (off: none)")
    .option("--tz <zone>", "time zone of the quiet hours, e.g. Asia/Shanghai")
    .option("--breakthrough <severity>", "this severity and above are sent during quiet hours")
    .action(async (opts) => {
      if (opts.mute && opts.unmute) throw new UsageError("give --mute or --unmute, not both");
      let quiet: { start: string; end: string } | null | undefined;
      if (opts.quiet === "off") quiet = null;
      else if (opts.quiet !== undefined) {
        const m = /^(\d\d:\d\d)-(\d\d:\d\d)$/.exec(opts.quiet);
        if (!m) throw new UsageError(`quiet: "${opts.quiet}" is not a range such as 22:00-08:00`);
        quiet = { start: m[1]!, end: m[2]! };
      }
      await withDatabase(async ({ sql }) => {
        await updateAlertSettings(
          sql,
          id(opts.watch, "watch"),
          {
            ...(opts.mute ? { muted: true } : opts.unmute ? { muted: false } : {}),
            ...(opts.digest !== undefined ? { digestMinutes: minutes(opts.digest, "digest")! } : {}),
            ...(quiet !== undefined ? { quiet } : {}),
            ...(opts.tz !== undefined ? { timezone: opts.tz } : {}),
            ...(opts.breakthrough !== undefined ? { breakthrough: parseSeverity(opts.breakthrough) } : {}),
          },
          actor(),
        );
        console.log(`alert settings of watchlist ${opts.watch} updated`);
      });
    });
}
