import { getJieba } from "../nlp/tokenize.ts";

/** Words too common to say anything about an app. */
const STOP = new Set(
  (
    "的 了 是 我 你 他 她 它 们 在 也 就 都 和 与 及 或 而 但 很 太 又 还 这 那 个 一个 有 没 没有 不 吗 呢 吧 啊 呀 哦 嗯 啦 么 什么 怎么 " +
    "为什么 可以 不能 就是 还是 然后 因为 所以 如果 已经 一下 一直 真的 现在 时候 自己 这个 那个 这样 感觉 觉得 知道 大家 东西 " +
    "the a an and or but of to in on for with is are was were be been it this that i you he she we they my your " +
    "me so not no at as by from have has had do does did can could will would just very app"
  ).split(/\s+/),
);

function keep(token: string): boolean {
  const t = token.trim();
  if (t.length < 2 && !/[\u4e00-\u9fff]{1}/.test(t)) return false;
  if ([...t].length < 2) return false;
  if (/^[\d\p{P}\p{S}\s]+$/u.test(t)) return false;
  return !STOP.has(t.toLowerCase());
}

/** Distinct meaningful words of one text (jieba for Chinese, lower-cased words otherwise). */
export function termsOf(text: string): Set<string> {
  const out = new Set<string>();
  for (const tok of getJieba().cut(text, false)) {
    const t = tok.trim().toLowerCase();
    if (keep(t)) out.add(t);
  }
  return out;
}

/** How many texts hold each term, most frequent first. */
export function countTerms(texts: Iterable<string>, limit: number): { term: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const text of texts) for (const t of termsOf(text)) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([term, count]) => ({ term, count }));
}
