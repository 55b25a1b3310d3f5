import type { AlertView } from "./payload.ts";
import type { OutgoingMessage } from "./channels/types.ts";

/** A label and a plain-text value; each channel escapes both for its markup. */
export type Fact = [label: string, value: string];

export function stars(rating: number): string {
  const r = Math.max(0, Math.min(5, Math.round(rating)));
  return `${"★".repeat(r)}${"☆".repeat(5 - r)} ${rating}/5`;
}

/** "[CRITICAL] Keyword “泄露” on weibo for 喵记" */
export function headline(a: AlertView): string {
  return `[${a.severity.toUpperCase()}] ${a.title}`;
}

/** The message title: the alert's headline, or a count for a digest. */
export function messageTitle(m: OutgoingMessage): string {
  if (m.type === "test") return "earshot test message";
  if (m.type === "digest" || m.alerts.length !== 1) {
    const apps = [...new Set(m.alerts.map((a) => a.app).filter(Boolean))];
    return `${m.alerts.length} alerts${apps.length ? ` for ${apps.join(", ")}` : ""}`;
  }
  return headline(m.alerts[0]!);
}

/** App, source, rating or sentiment, category, matched keywords and the kind's own details. */
export function facts(a: AlertView): Fact[] {
  const out: Fact[] = [];
  if (a.app) out.push(["App", a.app]);
  if (a.source) out.push(["Source", a.source]);
  const m = a.mention;
  if (m) {
    if (m.rating !== null) out.push(["Rating", stars(m.rating)]);
    if (m.sentimentScore !== null) out.push(["Sentiment", `${m.sentimentScore.toFixed(2)}${m.sentimentLabel ? ` (${m.sentimentLabel})` : ""}`]);
    if (m.category) out.push(["Category", m.category]);
    if (m.author) out.push(["Author", m.author]);
  }
  if (a.matchedKeywords.length) out.push(["Keyword", a.matchedKeywords.join(", ")]);
  if (a.spike) {
    const s = a.spike;
    out.push(["Negative mentions", `${s.count} in ${s.windowMinutes} min (usual ${s.baseline.toFixed(1)}; alert at ≥ ${s.minCount} and ≥ ${s.factor}×)`]);
    if (s.topCategories.length) out.push(["Top categories", s.topCategories.map((c) => `${c.category} ${c.count}`).join(", ")]);
  }
  if (a.health) {
    out.push(["Condition", `${a.health.condition} (${a.health.change})`]);
    if (a.health.detail) out.push(["Detail", a.health.detail]);
  }
  return out;
}

/** The text excerpt and its link, or a spike's sample posts. */
export function quotes(a: AlertView): { text: string; url: string | null }[] {
  if (a.mention) return [{ text: a.mention.title ? `${a.mention.title} — ${a.mention.excerpt}` : a.mention.excerpt, url: a.mention.url }];
  if (a.spike) return a.spike.samples.map((s) => ({ text: `${s.source}: ${s.excerpt}`, url: s.url }));
  return [];
}

/** A plain-text rendering (console, email text part). */
export function plainText(m: OutgoingMessage): string {
  const lines: string[] = [messageTitle(m)];
  if (m.type === "test") lines.push("This channel works: earshot alerts will arrive here.");
  for (const a of m.alerts) {
    if (m.alerts.length > 1 || m.type === "digest") lines.push("", headline(a));
    for (const [k, v] of facts(a)) lines.push(`${k}: ${v}`);
    for (const q of quotes(a)) lines.push(`> ${q.text}`, ...(q.url ? [q.url] : []));
    lines.push(`alert ${a.id}`);
  }
  return lines.join("\n");
}
