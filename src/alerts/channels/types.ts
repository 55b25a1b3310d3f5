import type { ChannelKind } from "../../db/schema.ts";
import type { AlertView } from "../payload.ts";
import type { TargetPolicy } from "../safety.ts";

/** A channel as senders see it, secret included (never logged, never listed). */
export interface ChannelConfig extends TargetPolicy {
  id: number;
  name: string;
  kind: ChannelKind;
  target: string;
  settings: Record<string, unknown>;
  secret: string | null;
}

/** One message: one alert, a digest of several, or a test. */
export interface OutgoingMessage {
  /** Sent to the receiver as the idempotency key: the alert id, or the digest's key. */
  key: string;
  type: "alert" | "digest" | "test";
  alerts: AlertView[];
  sentAt: Date;
}

export interface SendContext {
  timeoutMs: number;
  /** Where the console channel prints. */
  print(line: string): void;
}

export interface SendResult {
  /** HTTP status or SMTP reply code; null for the console. */
  status: number | null;
}

/** The receiver failed in a way that may pass (timeout, 5xx, 429, rate limit): retry with backoff. */
export class RetryLaterError extends Error {
  override name = "RetryLaterError";
  constructor(
    message: string,
    readonly status: number | null = null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The receiver refuses the message or the target is unsafe: retrying cannot help, the delivery is dead. */
export class UndeliverableError extends Error {
  override name = "UndeliverableError";
  constructor(
    message: string,
    readonly status: number | null = null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** One kind of channel: how its target is checked and how a message is rendered and sent. */
export interface ChannelSender {
  kind: ChannelKind;
  /** URL schemes its target may use; null when it has no target (the console). */
  schemes: readonly ("http" | "smtp")[] | null;
  /** Checks and normalises kind-specific settings when the channel is saved. */
  parseSettings(settings: Record<string, unknown>): Record<string, unknown>;
  send(channel: ChannelConfig, message: OutgoingMessage, ctx: SendContext): Promise<SendResult>;
}
