/** The fetch layer: everything sources and jobs need, from one import. */
export { createFetcher, type FetcherOptions } from "./fetcher.ts";
export { formatBlockAdvice } from "./block.ts";
export { redactUrl } from "./redact.ts";
export type { PolitenessLimits } from "./politeness.ts";
export type { FetchCallOptions, Fetcher, FetchLogEntry, FetchRequest, FetchResponse } from "./types.ts";
