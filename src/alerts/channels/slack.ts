import { escapeSlack, oneLine, slackLink } from "../escape.ts";
import { postJson } from "../http.ts";
import { facts, headline, messageTitle, quotes } from "../message.ts";
import type { AlertView } from "../payload.ts";
import type { ChannelSender, OutgoingMessage } from "./types.ts";

/** Slack allows 50 blocks; a digest shows this many alerts and counts the rest. */
const MAX_ALERTS = 12;

function alertBlocks(a: AlertView): unknown[] {
  const fields = facts(a).map(([k, v]) => ({ type: "mrkdwn", text: `*${escapeSlack(k)}*\n${escapeSlack(oneLine(v))}` }));
  const blocks: unknown[] = [{ type: "section", text: { type: "mrkdwn", text: `*${escapeSlack(oneLine(headline(a)))}*` } }];
  if (fields.length) blocks.push({ type: "section", fields: fields.slice(0, 10) });
  for (const q of quotes(a)) {
    blocks.push({ type: "section", text: { type: "mrkdwn", text: `>${escapeSlack(oneLine(q.text))}${q.url ? `\n${slackLink(q.url, "Open")}` : ""}` } });
  }
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: `alert ${a.id} · ${escapeSlack(a.createdAt)}` }] });
  return blocks;
}

/** Incoming-webhook body: `text` as the notification fallback, `blocks` for the layout. */
export function slackBody(m: OutgoingMessage): Record<string, unknown> {
  const title = messageTitle(m);
  const blocks: unknown[] = [{ type: "header", text: { type: "plain_text", text: oneLine(title).slice(0, 150), emoji: true } }];
  if (m.type === "test") blocks.push({ type: "section", text: { type: "mrkdwn", text: "This channel works: earshot alerts will arrive here." } });
  m.alerts.slice(0, MAX_ALERTS).forEach((a, i) => {
    if (i > 0) blocks.push({ type: "divider" });
    blocks.push(...alertBlocks(a));
  });
  if (m.alerts.length > MAX_ALERTS) blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: `and ${m.alerts.length - MAX_ALERTS} more (earshot alerts list)` }] });
  return { text: escapeSlack(oneLine(title)), blocks };
}

/** Slack incoming webhook (https://hooks.slack.com/services/…); Slack answers 200 "ok". */
export const slackSender: ChannelSender = {
  kind: "slack",
  schemes: ["http"],
  parseSettings: () => ({}),
  async send(channel, message, ctx) {
    const answer = await postJson(channel.target, JSON.stringify(slackBody(message)), { "idempotency-key": message.key }, { policy: channel, timeoutMs: ctx.timeoutMs });
    return { status: answer.status };
  },
};
