/** The contract between sources and the fetch layer. Sources never touch sockets themselves. */

export interface FetchRequest {
  url: string;
  /** @default "GET" */
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** The source making the request: selects its politeness, robots and cookie settings. */
  source: string;
  /** Cookie jar account for sources that rotate several logged-in accounts. @default "default" */
  account?: string;
  /**
   * Extra block detection for this site (a captcha page served with 200, a login wall):
   * return a reason to treat the response as blocked, or null.
   */
  detectBlock?: (res: FetchResponse) => string | null;
}

export interface FetchResponse {
  /** The final URL, after redirects. */
  url: string;
  status: number;
  headers: Record<string, string>;
  /** The body decoded to text (by Content-Type, then <meta charset>, then detection). */
  body: string;
  /** The charset the body was decoded from. */
  charset: string;
  bytes: number;
  ms: number;
  retries: number;
}

/** One line of a run's fetch log. The URL is stored without secrets. */
export interface FetchLogEntry {
  method: string;
  url: string;
  status: number | null;
  bytes: number | null;
  ms: number;
  retries: number;
  error: string | null;
}

export interface FetchCallOptions {
  /** Called once per request (after its retries), success or failure. */
  log?: (entry: FetchLogEntry) => void;
  signal?: AbortSignal;
}

export interface Fetcher {
  /**
   * Fetches politely (per-host concurrency and spacing shared through Redis, robots.txt),
   * retrying transient failures. Throws BlockedError, RateLimitedError or TransientFetchError
   * from src/errors.ts when it cannot get a usable answer.
   */
  fetch(req: FetchRequest, options?: FetchCallOptions): Promise<FetchResponse>;
  close(): Promise<void>;
}
