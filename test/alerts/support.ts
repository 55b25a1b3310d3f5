import { pino } from "pino";
import type { AlertConfig } from "../../src/alerts/config.ts";
import { createAlertStage } from "../../src/alerts/outbox.ts";
import { addChannel, addRule, type ChannelInput, type RuleInput } from "../../src/alerts/repo.ts";
import type { Sql } from "../../src/db/client.ts";
import { createWatchlist, upsertApp } from "../../src/db/repo/watchlists.ts";
import { processPage, type MatchedItem } from "../../src/pipeline/index.ts";
import type { RawMention } from "../../src/sources/types.ts";

export const silent = pino({ level: "silent" });

/** Short tries so failure cases finish in a second or two. */
export const fastAlertConfig: AlertConfig = {
  attempts: 4,
  backoffMs: 40,
  timeoutMs: 400,
  concurrency: 8,
  sweepEveryMs: 60_000,
  graceMs: 0,
  spikeEveryMs: 60_000,
};

export const alertStage = createAlertStage();

let n = 0;
/** A store review or a post, with a unique id unless given. */
export function review(text: string, extra: Partial<RawMention> = {}): RawMention {
  n++;
  return {
    externalId: `r${Date.now()}-${n}`,
    url: `https://forum.example/t/${n}`,
    author: `user${n}`,
    title: null,
    text,
    publishedAt: new Date(),
    ...extra,
  };
}

export async function watch(sql: Sql, db: Parameters<typeof upsertApp>[0], app: string, keywords: string[] = []): Promise<number> {
  const a = await upsertApp(db, { name: app });
  return (await createWatchlist(db, { appId: a.id, keywords, sources: ["appstore"], intervalSec: 900, enabled: false, by: "test" })).id;
}

export function store(sql: Sql, watchlistId: number, items: MatchedItem[], source = "appstore") {
  return processPage({ sql, alertStage, dedupMinChars: 12 }, { source, watchlistId, items });
}

export const matched = (keywords: string[], ...raws: RawMention[]): MatchedItem[] => raws.map((raw) => ({ raw, keywords }));

export async function webhookChannel(sql: Sql, url: string, extra: Partial<ChannelInput> = {}): Promise<number> {
  return (await addChannel(sql, { name: `hook-${++n}`, kind: "webhook", target: url, secret: "s3cret-key", allowPrivateTargets: true, allowInsecure: true, by: "test", ...extra })).id;
}

export async function rule(sql: Sql, input: Omit<RuleInput, "by">): Promise<number> {
  return (await addRule(sql, { by: "test", ...input })).id;
}
