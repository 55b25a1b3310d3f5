/** Waiting between attempts: exponential backoff with jitter, and Retry-After. */

/** Upper bound of one backoff delay, however many retries came before. */
const MAX_BACKOFF_MS = 30_000;

/**
 * The delay before retry number `retry` (1-based): uniformly random between half and all of
 * base * 2^(retry-1), capped at 30 s. The jitter keeps workers that failed together from
 * retrying together; the floor keeps a retry from following the failure at once.
 */
export function backoffDelay(retry: number, baseMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Milliseconds a Retry-After header asks for: delta-seconds or an HTTP date (RFC 9110 10.2.3).
 * Null when absent or unreadable; a date in the past is 0.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
