import { readdir } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { SQL } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { ApiError } from "./errors.ts";
import { runSql } from "./sqltext.ts";

export type ParamType = "string" | "int" | "number" | "date" | "bool";
type ParamValue = string | number | boolean | null;

export interface QueryParam {
  type: ParamType;
  description: string;
  /** Used when the caller gives nothing; absent and not required = null. */
  default?: ParamValue;
  required?: boolean;
}

/**
 * An analyst query kept in queries/NAME.ts: a one-line purpose, typed parameters, and either SQL
 * (a drizzle `sql` template, so parameters are bound, never spliced) or a function for queries
 * that need more than SQL.
 */
export interface NamedQuery<P extends Record<string, QueryParam> = Record<string, QueryParam>> {
  purpose: string;
  params: P;
  sql?: (p: { [K in keyof P]: ParamValue }) => SQL;
  run?: (database: Database, p: { [K in keyof P]: ParamValue }) => Promise<Record<string, unknown>[]>;
}

/** Identity, for type inference in query files. */
export function defineQuery<P extends Record<string, QueryParam>>(q: NamedQuery<P>): NamedQuery<P> {
  return q;
}

export const queriesDir = fileURLToPath(new URL("../../queries/", import.meta.url));

let cache: Map<string, NamedQuery> | null = null;

/** Every query in queries/, by file name without extension. */
export async function loadQueries(): Promise<Map<string, NamedQuery>> {
  if (cache) return cache;
  const map = new Map<string, NamedQuery>();
  for (const file of (await readdir(queriesDir)).sort()) {
    const m = /^([a-z0-9][a-z0-9-]*)\.ts$/.exec(file);
    if (!m) continue;
    const mod = (await import(pathToFileURL(`${queriesDir}${file}`).href)) as { default?: NamedQuery };
    if (mod.default?.purpose) map.set(m[1]!, mod.default);
  }
  cache = map;
  return map;
}

function coerce(name: string, p: QueryParam, raw: unknown): ParamValue {
  if (raw === undefined || raw === "") {
    if (p.required) throw new ApiError(400, `${name}: is required (${p.description})`, name);
    return p.default ?? null;
  }
  const s = String(raw);
  switch (p.type) {
    case "int":
      if (!/^-?\d+$/.test(s)) throw new ApiError(400, `${name}: "${s}" is not a whole number`, name);
      return Number(s);
    case "number":
      if (Number.isNaN(Number(s))) throw new ApiError(400, `${name}: "${s}" is not a number`, name);
      return Number(s);
    case "date":
      if (!/^\d{4}-\d{2}-\d{2}/.test(s) || Number.isNaN(Date.parse(s))) throw new ApiError(400, `${name}: "${s}" is not a date such as 2024-05-01`, name);
      return new Date(s).toISOString();
    case "bool":
      if (!["true", "false", "1", "0"].includes(s)) throw new ApiError(400, `${name}: must be true or false`, name);
      return s === "true" || s === "1";
    default:
      return s;
  }
}

/** Checks and types the parameters given as text (query string or CLI flags). Unknown names are errors. */
export function bindParams(q: NamedQuery, given: Record<string, unknown>): Record<string, ParamValue> {
  for (const k of Object.keys(given)) {
    if (!(k in q.params)) {
      throw new ApiError(400, `${k}: this query has no such parameter (it takes ${Object.keys(q.params).join(", ") || "none"})`, k);
    }
  }
  return Object.fromEntries(Object.entries(q.params).map(([k, p]) => [k, coerce(k, p, given[k])]));
}

/** Runs a named query; rows come back as the SQL names them. */
export async function runNamedQuery(database: Database, name: string, given: Record<string, unknown>) {
  const q = (await loadQueries()).get(name);
  if (!q) throw new ApiError(404, `query "${name}" does not exist (see GET /api/queries or earshot query --list)`);
  const params = bindParams(q, given);
  const rows = q.run ? await q.run(database, params) : await runSql(database.sql, q.sql!(params));
  // postgres.js describes the columns even when no row comes back.
  const described = (rows as { columns?: { name: string }[] }).columns?.map((c) => c.name);
  const columns = described ?? (rows[0] ? Object.keys(rows[0]) : []);
  return { name, purpose: q.purpose, params, columns, rows: [...rows] };
}
