import { plainText } from "../message.ts";
import type { ChannelSender } from "./types.ts";

/** Prints alerts to the worker's standard output (the demo, and a first try without a receiver). */
export const consoleSender: ChannelSender = {
  kind: "console",
  schemes: null,
  parseSettings: () => ({}),
  async send(_channel, message, ctx) {
    ctx.print(plainText(message));
    return { status: null };
  },
};
