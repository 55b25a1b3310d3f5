import { escapeMarkdown, markdownUrl, oneLine } from "../escape.ts";
import { facts, headline, messageTitle, quotes } from "../message.ts";
import type { OutgoingMessage } from "./types.ts";

/** The markdown both Chinese chat robots (DingTalk, WeCom) render: a heading, facts, quotes, links. */
export function robotMarkdown(m: OutgoingMessage, options: { maxAlerts: number }): string {
  const lines: string[] = [`### ${escapeMarkdown(oneLine(messageTitle(m)))}`];
  if (m.type === "test") lines.push("", "This channel works: earshot alerts will arrive here.");
  for (const a of m.alerts.slice(0, options.maxAlerts)) {
    lines.push("");
    if (m.alerts.length > 1 || m.type === "digest") lines.push(`**${escapeMarkdown(oneLine(headline(a)))}**`, "");
    for (const [k, v] of facts(a)) lines.push(`- **${escapeMarkdown(k)}**: ${escapeMarkdown(oneLine(v))}`);
    for (const q of quotes(a)) {
      lines.push("", `> ${escapeMarkdown(oneLine(q.text))}`);
      if (q.url) lines.push("", `[Open](${markdownUrl(q.url)})`);
    }
  }
  if (m.alerts.length > options.maxAlerts) lines.push("", `and ${m.alerts.length - options.maxAlerts} more`);
  return lines.join("\n");
}
