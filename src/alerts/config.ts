import type { Config } from "../config.ts";

/** Alert delivery settings: part of the one configuration schema in src/config.ts. */
export type AlertConfig = Config["alerts"];

