import type { AlertRuleKind, AlertSeverity } from "../db/schema.ts";
import type { StoredMention } from "./stage.ts";

/** Longest text excerpt an alert carries, in characters. */
export const EXCERPT_CHARS = 280;

/** The mention an alert is about, as messages show it. */
export interface MentionView {
  id: number;
  url: string | null;
  author: string | null;
  title: string | null;
  excerpt: string;
  rating: number | null;
  sentimentScore: number | null;
  sentimentLabel: string | null;
  complaint: boolean | null;
  category: string | null;
  publishedAt: string | null;
}

export interface SpikeView {
  windowMinutes: number;
  count: number;
  /** Mean count of the same window at the same hour of the week over the trailing weeks. */
  baseline: number;
  factor: number;
  minCount: number;
  topCategories: { category: string; count: number }[];
  samples: { source: string; url: string | null; excerpt: string }[];
}

export interface HealthView {
  source: string;
  condition: "blocked" | "failing" | "silent";
  change: "started" | "recovered";
  detail: string;
}

/** What an alert row stores in `payload`: everything a message needs, fixed when the alert is made. */
export interface AlertPayload {
  title: string;
  app: string | null;
  source: string | null;
  matchedKeywords: string[];
  mention?: MentionView;
  spike?: SpikeView;
  health?: HealthView;
}

/** An alert as channels render it. */
export interface AlertView extends AlertPayload {
  id: number;
  kind: AlertRuleKind;
  severity: AlertSeverity;
  ruleId: number | null;
  watchlistId: number | null;
  createdAt: string;
}

/** The first EXCERPT_CHARS characters (whole code points) of a text, whitespace collapsed. */
export function excerpt(text: string, chars = EXCERPT_CHARS): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const points = [...flat];
  return points.length <= chars ? flat : `${points.slice(0, chars - 1).join("")}…`;
}

export function mentionView(m: StoredMention): MentionView {
  return {
    id: m.id,
    url: m.url,
    author: m.author,
    title: m.title,
    excerpt: excerpt(m.text),
    rating: m.rating,
    sentimentScore: m.sentimentScore,
    sentimentLabel: m.sentimentLabel,
    complaint: m.complaint,
    category: m.complaintCategory,
    publishedAt: m.publishedAt?.toISOString() ?? null,
  };
}

const kindTitles: Record<AlertRuleKind, string> = {
  low_rating: "Low rating",
  complaint: "Complaint",
  keyword: "Keyword",
  spike: "Spike of negative mentions",
  source_health: "Source health",
};

export function kindTitle(kind: AlertRuleKind): string {
  return kindTitles[kind];
}
