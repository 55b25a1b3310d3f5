import { UsageError } from "../errors.ts";

const hhmm = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function parseClock(value: string, what: string): number {
  const m = hhmm.exec(value);
  if (!m) throw new UsageError(`${what}: "${value}" is not a time such as 22:00`);
  return Number(m[1]) * 60 + Number(m[2]);
}

export function checkTimeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
  } catch {
    throw new UsageError(`timezone: "${tz}" is not an IANA time zone such as Asia/Shanghai`);
  }
  return tz;
}

/** Minutes since local midnight in a time zone. */
function localMinutes(now: Date, tz: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(now);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return get("hour") * 60 + get("minute");
}

/**
 * When quiet hours [start, end) are on at `now` in the time zone, the moment they end; otherwise
 * null. A window may wrap midnight (22:00–08:00).
 */
export function quietUntil(now: Date, quiet: { start: string | null; end: string | null; timezone: string }): Date | null {
  if (!quiet.start || !quiet.end) return null;
  const start = parseClock(quiet.start, "quiet start");
  const end = parseClock(quiet.end, "quiet end");
  if (start === end) return null;
  const t = localMinutes(now, quiet.timezone);
  const inside = start < end ? t >= start && t < end : t >= start || t < end;
  if (!inside) return null;
  const minutesLeft = (end - t + 1440) % 1440;
  const next = new Date(now.getTime() + minutesLeft * 60_000);
  next.setUTCSeconds(0, 0);
  return next;
}
