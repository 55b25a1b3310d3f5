import { createHmac } from "node:crypto";
import { postJson } from "../http.ts";
import type { ChannelSender, OutgoingMessage } from "./types.ts";

/** Header carrying `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. */
export const SIGNATURE_HEADER = "x-earshot-signature";
/** Header carrying the signing time in Unix seconds; receivers reject old ones (replays). */
export const TIMESTAMP_HEADER = "x-earshot-timestamp";
export const IDEMPOTENCY_HEADER = "idempotency-key";

/** The documented JSON body: type, idempotency key, send time and the alerts. */
export function webhookBody(m: OutgoingMessage): string {
  return JSON.stringify({ type: m.type, idempotencyKey: m.key, sentAt: m.sentAt.toISOString(), alerts: m.alerts });
}

/** `sha256=` and the hex HMAC-SHA256 of `${timestamp}.${body}` under the channel secret. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** Generic JSON webhook, signed when the channel has a secret. */
export const webhookSender: ChannelSender = {
  kind: "webhook",
  schemes: ["http"],
  parseSettings: () => ({}),
  async send(channel, message, ctx) {
    const body = webhookBody(message);
    const timestamp = String(Math.floor(message.sentAt.getTime() / 1000));
    const headers: Record<string, string> = { [IDEMPOTENCY_HEADER]: message.key, [TIMESTAMP_HEADER]: timestamp };
    if (channel.secret) headers[SIGNATURE_HEADER] = signWebhook(channel.secret, timestamp, body);
    const answer = await postJson(channel.target, body, headers, { policy: channel, timeoutMs: ctx.timeoutMs, secrets: [channel.secret] });
    return { status: answer.status };
  },
};
