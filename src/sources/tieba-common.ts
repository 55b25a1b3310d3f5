/**
 * What every Tieba format shares: the ids (a thread is its `tid`, a reply or any other floor its
 * `pid`, so a post reached by two formats is one mention), the page a parser returns, Baidu's
 * request signature and its `百度安全验证` page.
 */
import { createHash } from "node:crypto";
import { ParseError } from "../errors.ts";
import type { RawMention } from "./types.ts";

export const TIEBA = "https://tieba.baidu.com";

/** One page of a Tieba list (search results or a 吧's threads). */
export interface TiebaPage {
  items: RawMention[];
  hasNext: boolean;
  /** The next page's address, where the page links it instead of counting pages. */
  nextUrl?: string | null;
  /** The 2026 search page before its script filled it: the results need a browser. */
  needsBrowser?: boolean;
}

type Fields = Omit<RawMention, "externalId" | "url" | "extra"> & { extra?: Record<string, unknown> };

/** A thread, as its list entry or its first floor: keyed by tid. */
export function threadMention(tid: string, fields: Fields): RawMention {
  return { ...fields, externalId: tid, url: `${TIEBA}/p/${tid}`, extra: { tid, ...fields.extra } };
}

/** A reply (a floor after the first): keyed by pid, linked to its floor. */
export function replyMention(tid: string, pid: string, fields: Fields): RawMention {
  return { ...fields, externalId: pid, url: `${TIEBA}/p/${tid}?pid=${pid}#${pid}`, extra: { tid, pid, ...fields.extra } };
}

export function tiebaParseError(message: string, url: string | undefined, body: string): ParseError {
  return new ParseError(`${message} (${url ?? "saved file"})`, { source: "tieba", ...(url ? { url } : {}), snippet: body.slice(0, 200) });
}

/** Whether a page is Baidu's security check (an expired cookie, or the address refused). */
export function isTiebaSecurityPage(body: string): boolean {
  return /百度安全验证|<title>\s*安全验证/.test(body.slice(0, 20_000)) || (body.length < 6000 && body.includes("安全验证"));
}

export const clean = (s: string | undefined) => (s ?? "").replace(/\s+/g, " ").trim();

/** Baidu's signature: md5 of the sorted "k=v" pairs (no separator) and a salt. */
export function tiebaSign(params: Record<string, string>, salt: string): string {
  const joined = Object.keys(params)
    .filter((k) => k !== "sign" && k !== "sig")
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join("");
  return createHash("md5").update(joined + salt).digest("hex");
}

/** Salts of Baidu's web and client signatures (public in every Tieba client). */
export const WEB_SALT = "36770b1f34c9bbf2e7d1a99d2b82fa9e";
export const CLIENT_SALT = "tiebaclient!!!";
