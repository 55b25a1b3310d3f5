/**
 * Turns response bytes into text. Order: a byte-order mark, the Content-Type charset, a
 * <meta charset> / http-equiv / <?xml encoding?> declaration near the top, then detection.
 * Chinese forums often send GBK or GB18030 without saying so, so detection matters.
 */
import chardet from "chardet";
import iconv from "iconv-lite";

export interface DecodedBody {
  text: string;
  /** The charset the text was decoded from, lower-case ("utf-8", "gb18030", "shift_jis"). */
  charset: string;
}

/** How far into the body a <meta charset> is looked for (the HTML spec prescans 1024 bytes; sites are sloppier). */
const META_SCAN_BYTES = 4096;
/** How much of the body detection reads: enough to be confident, little enough to stay fast. */
const DETECT_SAMPLE_BYTES = 64 * 1024;

/**
 * Labels sites use, mapped to the decoder that reads them best. GB2312 and GBK pages routinely
 * contain characters outside those sets, and GB18030 is a superset of both.
 */
const LABEL_ALIASES: Record<string, string> = {
  gb2312: "gb18030",
  gbk: "gb18030",
  "x-gbk": "gb18030",
  "iso-8859-1": "windows-1252",
  latin1: "windows-1252",
  "us-ascii": "windows-1252",
  ascii: "windows-1252",
  "x-sjis": "shift_jis",
  sjis: "shift_jis",
  "big5-hkscs": "big5",
  utf8: "utf-8",
};

/** A usable decoder name for a charset label, or null when iconv-lite does not know it. */
export function normaliseCharset(label: string | null | undefined): string | null {
  if (!label) return null;
  const clean = label.trim().replace(/^["']|["']$/g, "").toLowerCase();
  if (!clean) return null;
  const name = LABEL_ALIASES[clean] ?? clean;
  return iconv.encodingExists(name) ? name : null;
}

/** The charset parameter of a Content-Type header, if any. */
export function charsetFromContentType(contentType: string | undefined): string | null {
  if (!contentType) return null;
  const m = /;\s*charset\s*=\s*("?)([^";,\s]+)\1/i.exec(contentType);
  return m ? m[2]! : null;
}

/** A charset declared in the first bytes of an HTML or XML document, if any. */
export function charsetFromMarkup(bytes: Uint8Array): string | null {
  // Declarations are ASCII, so latin1 reads them whatever the real encoding is.
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, META_SCAN_BYTES)).toString(
    "latin1",
  );
  const meta = /<meta\s[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head);
  if (meta) return meta[1]!;
  const xml = /^\s*<\?xml\s[^>]*encoding\s*=\s*["']([\w.:-]+)["']/i.exec(head);
  return xml ? xml[1]! : null;
}

function charsetFromBom(bytes: Uint8Array): string | null {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return "utf-8";
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
  return null;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function hasNonAscii(bytes: Uint8Array): boolean {
  return bytes.some((b) => b >= 0x80);
}

/** Guesses the charset of undeclared bytes: valid UTF-8 wins, then chardet's best known guess. */
export function detectCharset(bytes: Uint8Array): string {
  const sample = bytes.subarray(0, DETECT_SAMPLE_BYTES);
  // Cutting the sample may split a multi-byte character: only the full body must be exact.
  if (isValidUtf8(bytes.byteLength <= DETECT_SAMPLE_BYTES ? bytes : trimPartialUtf8(sample))) return "utf-8";
  for (const match of chardet.analyse(sample)) {
    const name = normaliseCharset(match.name);
    if (name) return name;
  }
  return "utf-8";
}

/** Drops an incomplete UTF-8 sequence at the end of a sample. */
function trimPartialUtf8(sample: Uint8Array): Uint8Array {
  let end = sample.byteLength;
  for (let i = 1; i <= 3 && end - i >= 0; i++) {
    const b = sample[end - i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    if (b >= 0xc0) end -= i; // lead byte of a sequence that may be cut
    break;
  }
  return sample.subarray(0, end);
}

/**
 * Decodes a body. JSON without a declared charset is UTF-8 (RFC 8259); everything else falls
 * through to markup declarations and detection.
 */
export function decodeBody(bytes: Uint8Array, contentType: string | undefined): DecodedBody {
  const declared =
    charsetFromBom(bytes) ??
    normaliseCharset(charsetFromContentType(contentType)) ??
    (/\bjson\b/i.test(contentType ?? "") ? "utf-8" : null) ??
    normaliseCharset(charsetFromMarkup(bytes));
  // Sites mislabel UTF-8 as GBK (a stale header in front of a re-encoded backend); real GBK, Big5 or
  // Shift_JIS text of any length is practically never valid UTF-8, so valid multi-byte UTF-8 wins.
  const mislabelled = declared !== null && declared !== "utf-8" && hasNonAscii(bytes) && isValidUtf8(bytes);
  const charset = mislabelled ? "utf-8" : (declared ?? detectCharset(bytes));
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // iconv-lite strips a BOM by default, which is what we want.
  return { text: iconv.decode(buffer, charset), charset };
}
