/**
 * Dates as Chinese sites write them: absolute forms in Beijing time without a zone, relative
 * forms ("3分钟前", "昨天 12:30") that only mean something against the moment the page was read,
 * and dates in any IANA time zone for configured forums. Everything becomes a UTC instant.
 */

const BEIJING_OFFSET_MIN = 8 * 60;
const MINUTE = 60_000;
const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};

/** Wall-clock fields in some zone. */
interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall clock in Beijing (UTC+8, no daylight saving) at an instant. */
function beijingWall(ms: number): Wall {
  const d = new Date(ms + BEIJING_OFFSET_MIN * MINUTE);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

function fromBeijing(w: Wall): Date {
  return new Date(Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - BEIJING_OFFSET_MIN * MINUTE);
}

function valid(w: Wall): boolean {
  return w.month >= 1 && w.month <= 12 && w.day >= 1 && w.day <= 31 && w.hour <= 23 && w.minute <= 59 && w.second <= 59;
}

/**
 * Parses the date forms Weibo, Tieba and Chinese forums write, read as Beijing time:
 * `Sat Dec 23 17:12:54 +0800 2023` (with its own offset), `刚刚`, `N秒前`, `N分钟前`, `N小时前`,
 * `N天前`, `今天 HH:MM`, `昨天 HH:MM`, `前天 HH:MM`, `MM-DD[ HH:MM]`, `MM月DD日[ HH:MM]`,
 * `YYYY年MM月DD日[ HH:MM]`, `YYYY-MM-DD[ HH:MM[:SS]]` (also with `/` or `.`, optionally after
 * `发布于`), ISO 8601 with a zone, and unix seconds or milliseconds. A year-less date later than
 * `now` is last year's. Returns null for anything else.
 */
export function parseChineseDate(raw: string | number | null | undefined, now: number = Date.now()): Date | null {
  if (raw == null) return null;
  if (typeof raw === "number") return fromEpoch(raw);
  const text = raw.replace(/^\s*(发布于|发表于|发布时间[:：]?|编辑于)\s*/, "").replace(/\s+/g, " ").trim();
  if (!text) return null;
  let m: RegExpExecArray | null;

  if ((m = /^[A-Za-z]{3} ([A-Za-z]{3}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2}) (\d{4})$/.exec(text))) {
    const month = MONTHS[m[1]!.toLowerCase()];
    if (!month) return null;
    const offset = (m[6] === "-" ? -1 : 1) * (Number(m[7]) * 60 + Number(m[8]));
    const utc = Date.UTC(Number(m[9]), month - 1, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
    return new Date(utc - offset * MINUTE);
  }
  if (/^\d{10}$|^\d{13}$/.test(text)) return fromEpoch(Number(text));
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) {
    const d = new Date(text);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  if (text === "刚刚" || text === "刚才") return new Date(now);
  if ((m = /^(\d+)\s*(秒|分钟|小时|天)前$/.exec(text))) {
    const unit = { 秒: 1000, 分钟: MINUTE, 小时: 60 * MINUTE, 天: 1440 * MINUTE }[m[2] as "秒"];
    return new Date(now - Number(m[1]) * unit);
  }
  const today = beijingWall(now);
  const time = (h?: string, mi?: string, s?: string) => ({ hour: Number(h ?? 0), minute: Number(mi ?? 0), second: Number(s ?? 0) });
  if ((m = /^(今天|昨天|前天) ?(\d{1,2}):(\d{2})$/.exec(text))) {
    const back = { 今天: 0, 昨天: 1, 前天: 2 }[m[1] as "今天"];
    const day = beijingWall(now - back * 1440 * MINUTE);
    const w = { ...day, ...time(m[2], m[3]) };
    return valid(w) ? fromBeijing(w) : null;
  }
  if ((m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日? ?(?:(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(text))) {
    const w = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), ...time(m[4], m[5], m[6]) };
    return valid(w) ? fromBeijing(w) : null;
  }
  if ((m = /^(\d{1,2})(?:-|月)(\d{1,2})日? ?(?:(\d{1,2}):(\d{2}))?$/.exec(text))) {
    const w = { year: today.year, month: Number(m[1]), day: Number(m[2]), ...time(m[3], m[4]) };
    if (!valid(w)) return null;
    const d = fromBeijing(w);
    // A year-less date after today is last year's ("12-30" read on January 2nd).
    return d.getTime() > now + 1440 * MINUTE ? fromBeijing({ ...w, year: w.year - 1 }) : d;
  }
  return null;
}

function fromEpoch(n: number): Date | null {
  if (!Number.isFinite(n) || n <= 0) return null;
  return new Date(n < 1e12 ? n * 1000 : n);
}

/**
 * Reads `text` with a format of tokens (YYYY, YY, MM, M, DD, D, HH, H, mm, ss; anything else is
 * literal) as wall-clock time in `timeZone` (IANA, e.g. Asia/Shanghai). The special formats
 * "iso", "unix" and "relative" (the Chinese forms of parseChineseDate) are also accepted.
 * Returns null when the text does not fit the format.
 */
export function parseDateWithFormat(text: string, format: string, timeZone: string, now: number = Date.now()): Date | null {
  const t = text.trim();
  if (format === "iso") {
    const d = new Date(t);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  if (format === "unix") return /^\d+$/.test(t) ? fromEpoch(Number(t)) : null;
  if (format === "relative") return parseChineseDate(t, now);
  const tokens: Record<string, string> = {
    YYYY: "(\\d{4})", YY: "(\\d{2})", MM: "(\\d{2})", M: "(\\d{1,2})", DD: "(\\d{2})", D: "(\\d{1,2})",
    HH: "(\\d{2})", H: "(\\d{1,2})", mm: "(\\d{2})", ss: "(\\d{2})",
  };
  const order: string[] = [];
  const pattern = format.replace(/YYYY|YY|MM|M|DD|D|HH|H|mm|ss|[.*+?^${}()|[\]\\]/g, (tok) => {
    if (tok in tokens) {
      order.push(tok);
      return tokens[tok]!;
    }
    return `\\${tok}`;
  });
  const m = new RegExp(`^${pattern}$`).exec(t);
  if (!m) return null;
  const wall: Wall = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
  order.forEach((tok, i) => {
    const v = Number(m[i + 1]);
    if (tok === "YYYY") wall.year = v;
    else if (tok === "YY") wall.year = 2000 + v;
    else if (tok === "MM" || tok === "M") wall.month = v;
    else if (tok === "DD" || tok === "D") wall.day = v;
    else if (tok === "HH" || tok === "H") wall.hour = v;
    else if (tok === "mm") wall.minute = v;
    else wall.second = v;
  });
  if (!order.some((tok) => tok.startsWith("Y"))) wall.year = new Date(now).getUTCFullYear();
  return valid(wall) ? zonedWallToUtc(wall, timeZone) : null;
}

/** The UTC instant at which the wall clock in `timeZone` shows `w` (two passes settle DST edges). */
function zonedWallToUtc(w: Wall, timeZone: string): Date {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  let guess = asUtc - offsetMs(asUtc, timeZone);
  guess = asUtc - offsetMs(guess, timeZone);
  return new Date(guess);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at an instant, in ms. Throws RangeError on an unknown zone. */
export function offsetMs(ms: number, timeZone: string): number {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const wallUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return wallUtc - Math.floor(ms / 1000) * 1000;
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    offsetMs(0, timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Writes an instant in Beijing time in a form parseChineseDate reads back ("2026-11-20 14:03"). */
export function formatBeijing(ms: number, withSeconds = false): string {
  const w = beijingWall(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${w.year}-${p(w.month)}-${p(w.day)} ${p(w.hour)}:${p(w.minute)}${withSeconds ? `:${p(w.second)}` : ""}`;
}

/** Beijing wall-clock fields of an instant (for writing dates the way the sites do). */
export { beijingWall };
