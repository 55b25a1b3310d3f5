import { z } from "zod";
import { UsageError } from "../errors.ts";
import { alertSeverities, type AlertRuleKind, type AlertSeverity } from "../db/schema.ts";
import { kindTitle, mentionView, type AlertPayload } from "./payload.ts";
import type { StoredMention } from "./stage.ts";

const lowRating = z.object({ maxRating: z.number().int().min(1).max(5).default(2) });
const complaint = z.object({
  maxScore: z.number().min(-1).max(1).default(-0.2),
  /** Empty = every category. */
  categories: z.array(z.string().min(1)).default([]),
});
const keyword = z.object({ words: z.array(z.string().min(1)).min(1) });
const spike = z.object({
  windowMinutes: z.number().int().min(5).max(24 * 60).default(60),
  minCount: z.number().int().min(1).default(10),
  factor: z.number().min(1).default(3),
  /** Trailing weeks whose same hour makes the baseline. */
  weeks: z.number().int().min(1).max(12).default(4),
});
const sourceHealth = z.object({
  failingRuns: z.number().int().min(1).default(3),
  /** Empty runs in a row, where runs used to parse plenty, that mean a silent layout change. */
  silentRuns: z.number().int().min(1).default(2),
  /** What "plenty" means: the usual items per run must be at least this. */
  plentyItems: z.number().int().min(1).default(10),
});

export const ruleParamSchemas = {
  low_rating: lowRating,
  complaint,
  keyword,
  spike,
  source_health: sourceHealth,
} as const;

export type RuleParams = {
  low_rating: z.infer<typeof lowRating>;
  complaint: z.infer<typeof complaint>;
  keyword: z.infer<typeof keyword>;
  spike: z.infer<typeof spike>;
  source_health: z.infer<typeof sourceHealth>;
};

export const defaultSeverity: Record<AlertRuleKind, AlertSeverity> = {
  low_rating: "warning",
  complaint: "warning",
  keyword: "critical",
  spike: "critical",
  source_health: "warning",
};

/** Validates a rule's params for its kind, filling defaults; throws UsageError naming the bad field. */
export function parseRuleParams<K extends AlertRuleKind>(kind: K, params: unknown): RuleParams[K] {
  const r = ruleParamSchemas[kind].safeParse(params ?? {});
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new UsageError(`${kind} rule: ${i.path.join(".") || "params"}: ${i.message}`);
  }
  return r.data as RuleParams[K];
}

export function parseSeverity(value: string): AlertSeverity {
  if (!(alertSeverities as readonly string[]).includes(value)) throw new UsageError(`severity: "${value}" is not one of ${alertSeverities.join(", ")}`);
  return value as AlertSeverity;
}

/** Rank for comparisons (quiet hours let severities at or above the breakthrough through). */
export function severityRank(s: AlertSeverity): number {
  return alertSeverities.indexOf(s);
}

/** A rule as the alert stage needs it. */
export interface MentionRule {
  id: number;
  kind: AlertRuleKind;
  severity: AlertSeverity;
  params: Record<string, unknown>;
  cooldownSec: number;
  cooldownBy: "thread" | "author";
}

/** What a rule found in one mention. */
export interface RuleMatch {
  matchedKeywords: string[];
}

/** Whether one mention-level rule (low rating, complaint, keyword) fires for a mention. Pure. */
export function evaluateMention(rule: MentionRule, m: StoredMention): RuleMatch | null {
  switch (rule.kind) {
    case "low_rating": {
      const p = parseRuleParams("low_rating", rule.params);
      return m.rating !== null && m.rating <= p.maxRating ? { matchedKeywords: [] } : null;
    }
    case "complaint": {
      const p = parseRuleParams("complaint", rule.params);
      if (m.complaint !== true || m.sentimentScore === null || m.sentimentScore > p.maxScore) return null;
      if (p.categories.length > 0 && (m.complaintCategory === null || !p.categories.includes(m.complaintCategory))) return null;
      return { matchedKeywords: [] };
    }
    case "keyword": {
      const p = parseRuleParams("keyword", rule.params);
      const haystack = `${m.title ?? ""}\n${m.text}`.normalize("NFKC").toLowerCase();
      const found = p.words.filter((w) => haystack.includes(w.normalize("NFKC").toLowerCase()));
      return found.length > 0 ? { matchedKeywords: found } : null;
    }
    default:
      return null; // spike and source health are checked elsewhere
  }
}

/** Alerts for the same original text share a key, so a repost never alerts again for the same rule. */
export function mentionDedupKey(ruleId: number, m: Pick<StoredMention, "id" | "duplicateOf">): string {
  return `rule-${ruleId}-mention-${m.duplicateOf ?? m.id}`;
}

/**
 * The thread or author a cooldown counts per. A store review is its own thread (reviews share the
 * app page's URL); a post's thread is its URL without the fragment.
 */
export function cooldownKey(rule: Pick<MentionRule, "cooldownSec" | "cooldownBy">, m: StoredMention): string | null {
  if (rule.cooldownSec <= 0) return null;
  if (rule.cooldownBy === "author") return m.author ? `author:${m.source}:${m.author}` : null;
  if (m.rating !== null || !m.url) return `thread:${m.source}:${m.externalId}`;
  return `thread:${m.url.replace(/#.*$/, "")}`;
}

export function mentionPayload(kind: AlertRuleKind, app: string | null, m: StoredMention, match: RuleMatch): AlertPayload {
  const what =
    kind === "low_rating" ? `${kindTitle(kind)} (${m.rating}★)` : kind === "keyword" ? `${kindTitle(kind)} “${match.matchedKeywords.join("”, “")}”` : kindTitle(kind);
  return {
    title: `${what} on ${m.source}${app ? ` for ${app}` : ""}`,
    app,
    source: m.source,
    matchedKeywords: match.matchedKeywords,
    mention: mentionView(m),
  };
}
