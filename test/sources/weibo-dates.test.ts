import { describe, expect, it } from "vitest";
import { parseChineseDate, parseDateWithFormat } from "../../src/sources/dates.ts";

// 2024-03-05 10:30:00 in Beijing.
const now = Date.UTC(2024, 2, 5, 2, 30, 0);
const iso = (raw: string, at = now) => parseChineseDate(raw, at)?.toISOString() ?? null;

describe("Weibo and forum dates", () => {
  it("reads the API's absolute form with its own offset", () => {
    expect(iso("Sat Dec 23 17:12:54 +0800 2023")).toBe("2023-12-23T09:12:54.000Z");
    expect(iso("Sat Dec 23 17:12:54 +0000 2023")).toBe("2023-12-23T17:12:54.000Z");
  });

  it("counts relative forms back from the moment the page was read", () => {
    expect(iso("刚刚")).toBe("2024-03-05T02:30:00.000Z");
    expect(iso("30秒前")).toBe("2024-03-05T02:29:30.000Z");
    expect(iso("5分钟前")).toBe("2024-03-05T02:25:00.000Z");
    expect(iso("3小时前")).toBe("2024-03-04T23:30:00.000Z");
  });

  it("reads today, yesterday and year-less dates as Beijing wall-clock time", () => {
    expect(iso("今天 08:15")).toBe("2024-03-05T00:15:00.000Z");
    expect(iso("昨天 23:59")).toBe("2024-03-04T15:59:00.000Z");
    expect(iso("03-01")).toBe("2024-02-29T16:00:00.000Z");
    expect(iso("03月01日 12:00")).toBe("2024-03-01T04:00:00.000Z");
    expect(iso("3月1日 12:00")).toBe("2024-03-01T04:00:00.000Z");
  });

  it("takes a year-less date after today as last year's", () => {
    expect(iso("12-30")).toBe("2023-12-29T16:00:00.000Z");
  });

  it("reads full dates with or without a time, after 发布于, in Beijing time", () => {
    expect(iso("2023-06-27")).toBe("2023-06-26T16:00:00.000Z");
    expect(iso("2024-08-05 16:45")).toBe("2024-08-05T08:45:00.000Z");
    expect(iso("2023年12月22日 09:30")).toBe("2023-12-22T01:30:00.000Z");
    expect(iso("发布于 2026-3-7")).toBe("2026-03-06T16:00:00.000Z");
  });

  it("takes Beijing's today across UTC midnight", () => {
    // 01:00 in Beijing on March 6th is still March 5th in UTC.
    const earlyMorning = Date.UTC(2024, 2, 5, 17, 0, 0);
    expect(iso("今天 00:30", earlyMorning)).toBe("2024-03-05T16:30:00.000Z");
    expect(iso("昨天 23:00", earlyMorning)).toBe("2024-03-05T15:00:00.000Z");
  });

  it("reads unix seconds and milliseconds, and returns null for anything else", () => {
    expect(parseChineseDate(1773552643)?.toISOString()).toBe("2026-03-15T05:30:43.000Z");
    expect(iso("1773552643000")).toBe("2026-03-15T05:30:43.000Z");
    expect(iso("")).toBeNull();
    expect(iso("很久以前")).toBeNull();
    expect(iso("13-45")).toBeNull();
  });

  it("reads a configured format in the forum's time zone", () => {
    expect(parseDateWithFormat("2024/03/05 10:30", "YYYY/MM/DD HH:mm", "Asia/Shanghai")?.toISOString()).toBe("2024-03-05T02:30:00.000Z");
    expect(parseDateWithFormat("07.14.2024 09:00", "MM.DD.YYYY HH:mm", "America/New_York")?.toISOString()).toBe("2024-07-14T13:00:00.000Z");
    expect(parseDateWithFormat("2024-01-14 09:00", "YYYY-MM-DD HH:mm", "America/New_York")?.toISOString()).toBe("2024-01-14T14:00:00.000Z");
    expect(parseDateWithFormat("5分钟前", "relative", "Asia/Shanghai", now)?.toISOString()).toBe("2024-03-05T02:25:00.000Z");
    expect(parseDateWithFormat("yesterday", "YYYY-MM-DD", "UTC")).toBeNull();
  });
});
