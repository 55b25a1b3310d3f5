import { pino, type Logger } from "pino";

/** Paths pino blanks out wherever they appear in a log line: secrets never reach the logs. */
const REDACT = [
  "cookie",
  "*.cookie",
  "headers.cookie",
  "headers.authorization",
  "*.headers.cookie",
  "*.headers.authorization",
  "secret",
  "*.secret",
  "token",
  "*.token",
  "password",
  "*.password",
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT, censor: "[redacted]" }, base: { app: "earshot" } });
}
