import { createHmac } from "node:crypto";
import { UsageError } from "../../errors.ts";
import { escapeLarkMd, escapeLarkText, oneLine } from "../escape.ts";
import { checkRobotAnswer, postJson } from "../http.ts";
import { facts, headline, messageTitle, plainText, quotes } from "../message.ts";
import type { ChannelSender, OutgoingMessage } from "./types.ts";

/** 11232: the robot is sending too fast. */
const RETRYABLE = [11232, 9499];

/** Feishu/Lark signing: base64(HMAC-SHA256 keyed by "<timestamp s>\n<secret>" over an empty message). */
export function feishuSign(secret: string, timestampSec: string): string {
  return createHmac("sha256", `${timestampSec}\n${secret}`).update("").digest("base64");
}

function card(m: OutgoingMessage): Record<string, unknown> {
  const elements: unknown[] = [];
  if (m.type === "test") elements.push({ tag: "div", text: { tag: "lark_md", content: "This channel works: earshot alerts will arrive here." } });
  m.alerts.slice(0, 10).forEach((a, i) => {
    if (i > 0) elements.push({ tag: "hr" });
    const lines = [];
    if (m.alerts.length > 1 || m.type === "digest") lines.push(`**${escapeLarkMd(oneLine(headline(a)))}**`);
    for (const [k, v] of facts(a)) lines.push(`**${escapeLarkMd(k)}**: ${escapeLarkMd(oneLine(v))}`);
    for (const q of quotes(a)) lines.push(escapeLarkMd(oneLine(q.text)));
    elements.push({ tag: "div", text: { tag: "lark_md", content: lines.join("\n") } });
    const links = quotes(a).filter((q) => q.url);
    if (links.length) {
      elements.push({ tag: "action", actions: links.slice(0, 3).map((q) => ({ tag: "button", text: { tag: "plain_text", content: "Open" }, type: "default", url: q.url })) });
    }
  });
  if (m.alerts.length > 10) elements.push({ tag: "note", elements: [{ tag: "plain_text", content: `and ${m.alerts.length - 10} more` }] });
  const worst = m.alerts.some((a) => a.severity === "critical") ? "red" : m.alerts.some((a) => a.severity === "warning") ? "orange" : "blue";
  return {
    config: { wide_screen_mode: true },
    header: { template: worst, title: { tag: "plain_text", content: oneLine(messageTitle(m)) } },
    elements,
  };
}

/** The robot body: an interactive card, or plain text (tags broken); signed fields first when the robot signs. */
export function feishuBody(m: OutgoingMessage, format: "card" | "text", secret: string | null): Record<string, unknown> {
  const signed: Record<string, unknown> = {};
  if (secret) {
    const timestamp = String(Math.floor(m.sentAt.getTime() / 1000));
    signed.timestamp = timestamp;
    signed.sign = feishuSign(secret, timestamp);
  }
  return format === "text" ? { ...signed, msg_type: "text", content: { text: escapeLarkText(plainText(m)) } } : { ...signed, msg_type: "interactive", card: card(m) };
}

/** Feishu/Lark custom bot (https://open.feishu.cn/open-apis/bot/v2/hook/…), card or text. */
export const feishuSender: ChannelSender = {
  kind: "feishu",
  schemes: ["http"],
  parseSettings(settings) {
    const format = settings.format ?? "card";
    if (format !== "card" && format !== "text") throw new UsageError(`format: "${String(format)}" is not card or text`);
    return { format };
  },
  async send(channel, message, ctx) {
    const body = feishuBody(message, channel.settings.format === "text" ? "text" : "card", channel.secret);
    const answer = await postJson(channel.target, JSON.stringify(body), {}, { policy: channel, timeoutMs: ctx.timeoutMs, secrets: [channel.secret] });
    checkRobotAnswer(answer, "code", RETRYABLE);
    return { status: answer.status };
  },
};
