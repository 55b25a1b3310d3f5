import { readFileSync } from "node:fs";
import { complaintCategories, type ComplaintCategory, type SentimentLabel } from "./categories.ts";

/** One line of a labelled complaint set. */
export interface ComplaintExample {
  label: SentimentLabel;
  /** null: not a complaint. */
  category: ComplaintCategory | null;
  rating: number | null;
  text: string;
}

const labels: Record<string, SentimentLabel> = { neg: "negative", neu: "neutral", pos: "positive" };

/**
 * Reads a complaint set: a header line, then `label<TAB>category<TAB>rating<TAB>text` with label
 * neg/neu/pos, category one of complaintCategories or "-" (not a complaint), rating 1-5 or "-".
 * Throws on a malformed line, naming it: a labelled set with a typo must not pass silently.
 */
export function readComplaintSet(path: string): ComplaintExample[] {
  const lines = readFileSync(path, "utf8").split(/\r?\n/);
  const out: ComplaintExample[] = [];
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === "" || line.startsWith("#")) return;
    const [l, c, r, ...rest] = line.split("\t");
    const text = rest.join("\t");
    const label = labels[l ?? ""];
    const category = c === "-" ? null : (c as ComplaintCategory);
    const rating = r === "-" ? null : Number(r);
    if (!label || (category !== null && !complaintCategories.includes(category)) || (rating !== null && !(rating >= 1 && rating <= 5)) || !text) {
      throw new Error(`${path}:${i + 2}: expected label<TAB>category<TAB>rating<TAB>text, got ${JSON.stringify(line)}`);
    }
    out.push({ label, category, rating, text });
  });
  return out;
}
