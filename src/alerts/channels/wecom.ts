import { checkRobotAnswer, postJson } from "../http.ts";
import { robotMarkdown } from "./markdown.ts";
import type { ChannelSender, OutgoingMessage } from "./types.ts";

/** 45009: API frequency limit (20 messages a minute per robot). */
const RETRYABLE = [45009, -1];
/** WeCom refuses markdown content longer than 4096 bytes. */
const MAX_BYTES = 4096;

export function wecomBody(m: OutgoingMessage): Record<string, unknown> {
  let maxAlerts = 10;
  let content = robotMarkdown(m, { maxAlerts });
  while (Buffer.byteLength(content) > MAX_BYTES && maxAlerts > 1) content = robotMarkdown(m, { maxAlerts: --maxAlerts });
  if (Buffer.byteLength(content) > MAX_BYTES) content = `${Buffer.from(content).subarray(0, MAX_BYTES - 4).toString("utf8").replace(/\uFFFD+$/, "")}…`;
  return { msgtype: "markdown", markdown: { content } };
}

/** WeCom (企业微信) group robot (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…), markdown. */
export const wecomSender: ChannelSender = {
  kind: "wecom",
  schemes: ["http"],
  parseSettings: () => ({}),
  async send(channel, message, ctx) {
    const answer = await postJson(channel.target, JSON.stringify(wecomBody(message)), {}, { policy: channel, timeoutMs: ctx.timeoutMs });
    checkRobotAnswer(answer, "errcode", RETRYABLE);
    return { status: answer.status };
  },
};
