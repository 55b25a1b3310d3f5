import type { ChannelKind } from "../../db/schema.ts";
import { consoleSender } from "./console.ts";
import { dingtalkSender } from "./dingtalk.ts";
import { emailSender } from "./email.ts";
import { feishuSender } from "./feishu.ts";
import { slackSender } from "./slack.ts";
import type { ChannelSender } from "./types.ts";
import { webhookSender } from "./webhook.ts";
import { wecomSender } from "./wecom.ts";

const senders: Record<ChannelKind, ChannelSender> = {
  webhook: webhookSender,
  slack: slackSender,
  dingtalk: dingtalkSender,
  wecom: wecomSender,
  feishu: feishuSender,
  email: emailSender,
  console: consoleSender,
};

export function senderFor(kind: ChannelKind): ChannelSender {
  return senders[kind];
}

export type { ChannelConfig, ChannelSender, OutgoingMessage, SendContext } from "./types.ts";
