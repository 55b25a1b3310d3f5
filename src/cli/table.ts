/** Width of a string in a terminal: CJK and full-width characters take two columns. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    w += (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1faff) || (c >= 0x20000 && c <= 0x3fffd)
      ? 2
      : 1;
  }
  return w;
}

/** A plain-text table; cells are printed as given (control characters removed). */
export function formatTable(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c == null ? "" : String(c)).replace(/[\u0000-\u001f\u007f]/g, " ")));
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...cells.map((r) => displayWidth(r[i] ?? ""))));
  const line = (r: string[]) => r.map((c, i) => c + " ".repeat(widths[i]! - displayWidth(c))).join("  ").trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

export function truncate(s: string, width: number): string {
  let out = "";
  let w = 0;
  for (const ch of s.replace(/\s+/g, " ")) {
    const cw = displayWidth(ch);
    if (w + cw > width - 1) return `${out}…`;
    out += ch;
    w += cw;
  }
  return out;
}
