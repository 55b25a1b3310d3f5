import { endianness } from "node:os";
import * as OpenCC from "opencc-js";

/**
 * Only the first this many UTF-16 units of a text are scored: a 200 KB paste costs no more than
 * a long review, and the opening of a post carries its point.
 */
export const MAX_SCORED_CHARS = 2000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const HTML_TAG = /<\/?[A-Za-z!][^<>]{0,300}>/g;
const HTML_ENTITY = /&(nbsp|amp|lt|gt|quot|apos|#\d{1,6}|#x[0-9a-fA-F]{1,5});/g;
// C0/C1 controls, BOM, replacement and non-characters: what binary junk decodes to.
const JUNK = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFEFF\uFFFD\uFFFE\uFFFF]/g;
const SPACES = /\s{2,}|[\t\n\r\f\v\u00a0\u3000]/g;
const SURROGATE = /[\uD800-\uDFFF]/;
const JUNK_TEST = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFEFF\uFFFD\uFFFE\uFFFF]/;

const namedEntities: Record<string, string> = { nbsp: " ", amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntity(_: string, name: string): string {
  if (name[0] !== "#") return namedEntities[name] ?? " ";
  const code = name[1] === "x" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
  // Surrogates and out-of-range code points would make the text ill-formed again.
  if (!(code > 0 && code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff)) return " ";
  return String.fromCodePoint(code);
}

/**
 * Makes any input safe and uniform to score: bounded length, well-formed UTF-16, HTML tags and
 * entities removed, control characters dropped, full-width ASCII (！？ＡＢ) made half-width,
 * whitespace collapsed. Never throws. Each step is skipped when a cheap test shows it has nothing
 * to do: this runs on every text of every crawl.
 */
export function cleanText(raw: unknown): string {
  if (typeof raw !== "string" || raw.length === 0) return "";
  let text = raw.length > MAX_SCORED_CHARS ? raw.slice(0, MAX_SCORED_CHARS) : raw;
  const scan = scanText(text);
  if (scan === 0) return text.trim();
  if ((scan & NEEDS_FULL_CLEAN) !== 0) {
    if (SURROGATE.test(text)) text = text.replace(LONE_SURROGATE, "");
    if (text.includes("<")) text = text.replace(HTML_TAG, " ");
    if (text.includes("&")) text = text.replace(HTML_ENTITY, decodeEntity);
    if (JUNK_TEST.test(text)) text = text.replace(JUNK, " ");
  }
  if ((scan & (NEEDS_FULL_CLEAN | HAS_FULL_WIDTH)) !== 0) text = toHalfWidth(text);
  if ((scan & (NEEDS_FULL_CLEAN | HAS_SPACES)) !== 0) text = text.replace(SPACES, " ");
  return text.trim();
}

// The units are written into a typed array and read back as one UTF-16LE string: a third of the
// cost of concatenating the runs between full-width forms, with the same string (lone surrogates
// included). On a big-endian machine the typed array's byte order differs: a regex does it there.
const LITTLE_ENDIAN = endianness() === "LE";
const FULL_WIDTH = /[\uff01-\uff5e]/g;
let units = Buffer.alloc(2 * 4096);
let units16 = new Uint16Array(units.buffer, units.byteOffset, 4096);

/** ！？ＡＢ → !?AB. */
function toHalfWidth(text: string): string {
  const n = text.length;
  if (!LITTLE_ENDIAN) return text.replace(FULL_WIDTH, (m) => String.fromCharCode(m.charCodeAt(0) - 0xfee0));
  if (n > units16.length) {
    units = Buffer.alloc(2 * n);
    units16 = new Uint16Array(units.buffer, units.byteOffset, n);
  }
  const u = units16;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    u[i] = c >= 0xff01 && c <= 0xff5e ? c - 0xfee0 : c;
  }
  return units.toString("utf16le", 0, 2 * n);
}

const NEEDS_FULL_CLEAN = 1;
const HAS_FULL_WIDTH = 2;
const HAS_SPACES = 4;

/**
 * One pass over the UTF-16 units that says which cleaning steps can have anything to do; it errs
 * towards running a step. Controls, surrogates, "<", "&" and the BOM/replacement characters send
 * the text down every step; otherwise only full-width forms and runs or odd kinds of whitespace
 * are left to fix, and a typical post has neither or only the first.
 */
function scanText(text: string): number {
  let flags = 0;
  let prev = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x3c || c === 0x26 || (c >= 0xd800 && c <= 0xdfff) || c === 0xfeff || c >= 0xfffd) {
      return NEEDS_FULL_CLEAN;
    }
    if (c >= 0xff01 && c <= 0xff5e) flags |= HAS_FULL_WIDTH;
    else if ((c === 0x20 && prev === 0x20) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x205f) || c === 0x3000) flags |= HAS_SPACES;
    prev = c;
  }
  return flags;
}

type Convert = (text: string) => string;
let converter: Convert | null = null;
let traditionalFlags: Uint8Array | null = null;

/**
 * The Taiwan-phrase → mainland converter, and a table of every BMP Han character that it
 * changes, so the (slow) phrase conversion runs only on texts that hold a traditional character.
 */
function loadConverter(): { convert: Convert; flags: Uint8Array } {
  if (converter && traditionalFlags) return { convert: converter, flags: traditionalFlags };
  const convert = (OpenCC as unknown as { Converter(o: { from: string; to: string }): Convert }).Converter({
    from: "twp",
    to: "cn",
  });
  const flags = new Uint8Array(0x10000);
  const chars: string[] = [];
  for (let cp = 0x3400; cp <= 0x9fff; cp++) chars.push(String.fromCharCode(cp));
  for (let cp = 0xf900; cp <= 0xfaff; cp++) chars.push(String.fromCharCode(cp));
  // One call for the whole table: a newline stops phrase matches from spanning two characters.
  const converted = convert(chars.join("\n")).split("\n");
  // A character that is itself the simplified form of another (么, from 麼) is not flagged even
  // if the Taiwan converter rewrites it (么 → 幺): it would send half of all simplified texts
  // through the slow path.
  const simplifiedForms = new Set<string>();
  for (let i = 0; i < chars.length; i++) if (converted[i] !== chars[i]) simplifiedForms.add(converted[i]!);
  for (let i = 0; i < chars.length; i++) {
    if (converted[i] !== chars[i] && !simplifiedForms.has(chars[i]!)) flags[chars[i]!.charCodeAt(0)] = 1;
  }
  converter = convert;
  traditionalFlags = flags;
  return { convert, flags };
}

/** Loads the traditional → simplified tables now rather than on the first traditional text. */
export function warmUpConverter(): void {
  loadConverter();
}

/** Converts traditional Chinese (with Taiwan vocabulary such as 軟體, 登入) to simplified. */
export function toSimplified(text: string): string {
  const flags = traditionalFlags ?? loadConverter().flags;
  for (let i = 0; i < text.length; i++) {
    if (flags[text.charCodeAt(i)] === 1) return converter!(text);
  }
  return text;
}
