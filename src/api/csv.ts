/**
 * One CSV field. Text from the sites is untrusted: a value a spreadsheet would run as a formula
 * (starting with = + - @ or a control character) is prefixed with an apostrophe.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  let s = Array.isArray(value) ? value.join("|") : value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: readonly unknown[]): string {
  return values.map(csvField).join(",") + "\r\n";
}
