import { createHmac } from "node:crypto";
import { oneLine } from "../escape.ts";
import { checkRobotAnswer, postJson } from "../http.ts";
import { messageTitle } from "../message.ts";
import { robotMarkdown } from "./markdown.ts";
import type { ChannelSender, OutgoingMessage } from "./types.ts";

/** 130101: sending too fast (20 messages a minute per robot). */
const RETRYABLE = [130101, -1];

/** DingTalk signing: base64(HMAC-SHA256 keyed by the secret over "<timestamp ms>\n<secret>"). */
export function dingtalkSign(secret: string, timestampMs: string): string {
  return createHmac("sha256", secret).update(`${timestampMs}\n${secret}`).digest("base64");
}

/** The robot URL with `timestamp` and URL-encoded `sign` added (when the robot signs). */
export function dingtalkUrl(target: string, secret: string | null, now: Date): string {
  if (!secret) return target;
  const u = new URL(target);
  const timestamp = String(now.getTime());
  u.searchParams.set("timestamp", timestamp);
  u.searchParams.set("sign", dingtalkSign(secret, timestamp));
  return u.toString();
}

export function dingtalkBody(m: OutgoingMessage): Record<string, unknown> {
  return { msgtype: "markdown", markdown: { title: oneLine(messageTitle(m)).slice(0, 64), text: robotMarkdown(m, { maxAlerts: 10 }) } };
}

/** DingTalk custom robot (https://oapi.dingtalk.com/robot/send?access_token=…), markdown. */
export const dingtalkSender: ChannelSender = {
  kind: "dingtalk",
  schemes: ["http"],
  parseSettings: () => ({}),
  async send(channel, message, ctx) {
    const url = dingtalkUrl(channel.target, channel.secret, message.sentAt);
    const answer = await postJson(url, JSON.stringify(dingtalkBody(message)), {}, { policy: channel, timeoutMs: ctx.timeoutMs, secrets: [channel.secret] });
    checkRobotAnswer(answer, "errcode", RETRYABLE);
    return { status: answer.status };
  },
};
