/**
 * Errors are named for the decision they force, not for the place they were thrown.
 * Every one carries a message an operator can act on.
 */

/** The environment is wrong: stop at start, naming the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Arguments to a CLI command or API call are wrong: nothing was done. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * The site refuses us (403, 418, Weibo 432, captcha, login or visitor wall).
 * Retrying now makes it worse: pause the source for this host and tell the admin once.
 */
export class BlockedError extends Error {
  override name = "BlockedError";
  constructor(
    message: string,
    readonly details: {
      /** The host that refused. */
      host: string;
      /** The host the request was sent to, when a redirect led elsewhere: runs that ask it pause. */
      requestHost?: string;
      status?: number;
      reason: string;
      advice: string;
    },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The site asks us to slow down (429, 503 with Retry-After): wait that long, then try again. */
export class RateLimitedError extends Error {
  override name = "RateLimitedError";
  constructor(
    message: string,
    readonly retryAfterMs: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A response could not be read as the format we expect (malformed JSON, changed layout). */
export class ParseError extends Error {
  override name = "ParseError";
  constructor(
    message: string,
    readonly details: { source: string; url?: string; snippet?: string } = { source: "unknown" },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A network-level or server failure worth retrying with backoff (timeouts, resets, 5xx). */
export class TransientFetchError extends Error {
  override name = "TransientFetchError";
  constructor(
    message: string,
    readonly details: { url: string; status?: number },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Retrying cannot help (a watchlist that no longer exists, an app without a store id). */
export class NonRetryableError extends Error {
  override name = "NonRetryableError";
}

/** A response body is larger than EARSHOT_MAX_RESPONSE_BYTES; reading stopped at the cap. */
export class ResponseTooLargeError extends NonRetryableError {
  override name = "ResponseTooLargeError";
  constructor(
    message: string,
    readonly details: { url: string; limitBytes: number },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A redirect chain is longer than EARSHOT_MAX_REDIRECTS, or leads somewhere we do not follow. */
export class RedirectError extends NonRetryableError {
  override name = "RedirectError";
  constructor(
    message: string,
    readonly details: { url: string; location?: string },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The site's robots.txt forbids the URL for our User-Agent. */
export class RobotsDisallowedError extends NonRetryableError {
  override name = "RobotsDisallowedError";
  constructor(
    message: string,
    readonly details: { url: string; source: string },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The message to show an operator: drizzle's "Failed query: …" wrapper gives way to the database's own words. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error && err.message.startsWith("Failed query:") && err.cause instanceof Error) return errorMessage(err.cause);
  return err instanceof Error ? err.message : String(err);
}
