import { Jieba } from "@node-rs/jieba";
import { dict } from "@node-rs/jieba/dict.js";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readComplaintSet } from "../../src/nlp/complaint-set.ts";
import { cleanText } from "../../src/nlp/normalize.ts";
import { projectRoot } from "../../src/nlp/paths.ts";
import { prepareText, prepareTexts } from "../../src/nlp/prepare.ts";
import { tokenizeZh, userDictionaryLines } from "../../src/nlp/tokenize.ts";

// The reference: jieba's own `cut`, from an instance of its own with the same dictionaries.
const reference = Jieba.withDict(dict);
reference.loadDict(Buffer.from(userDictionaryLines().join("\n") + "\n", "utf8"));
const jiebaTokens = (text: string) => reference.cut(text, false).filter((t) => t !== " ");

/** A small seeded generator, so a failure names a text that can be reproduced. */
function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const pieces = [
  ["这个软件", "更新后一直闪退", "客服", "很好用", "不太好用", "没有广告", "卡成ppt", "yyds", "自动续费", "從來沒有", "這個軟體", "登入", "呵呵", "谢谢"],
  ["app", "iPhone13", "v2.0.1", "c++", "C#", ".net", "100%", "a-b_c", "R&D", "wifi", "OK", "3.5", "x"],
  ["，", "。", "！", "？", "、", "；", "：", "“", "”", "（", "）", "《", "》", "…", "——", "~", "·"],
  ["!", "?", "!!!", "??", ",", ";", ":", "(", ")", "[", "]", "/", "@", "*", "'", '"', "+", "#", "&", ".", "_", "%", "-"],
  [" ", "  ", "\t", "\u3000", "\u00a0"],
  ["😀", "👍", "🔥", "❤️", "😭😭", "[哈哈]", "[怒]", "👍🏻"],
  ["ＡＢＣ", "１２３", "！！", "？", "（好）", "ｏｋ"],
  ["かな", "한국", "é", "ß", "Ω", "①", "Ⅻ"],
];

function generatedTexts(count: number): string[] {
  const next = generator(20_240_501);
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    let text = "";
    const parts = 1 + Math.floor(next() * 30);
    for (let p = 0; p < parts; p++) {
      // Mostly Chinese, as in the pages scored, with every other kind mixed in.
      const group = next() < 0.4 ? 0 : Math.floor(next() * pieces.length);
      const list = pieces[group]!;
      text += list[Math.floor(next() * list.length)]!;
    }
    out.push(text);
  }
  return out;
}

const complaints = readComplaintSet(join(projectRoot, "test", "fixtures", "complaints", "complaints.tsv")).map((e) => e.text);
const sample = [...complaints, ...generatedTexts(1500), "", "😀😀", "好", "，", "中 文 ", "\ud800中文\udc00"];

describe("Chinese tokens", () => {
  it("are jieba's own cut of the prepared text, space tokens left out, one text at a time", () => {
    let zh = 0;
    for (const text of sample) {
      const p = prepareText(text);
      if (p.lang !== "zh") continue;
      zh++;
      expect(p.tokens, text).toEqual(jiebaTokens(p.text));
      expect(p.negated.length).toBe(p.tokens.length);
    }
    // The sample must exercise the Chinese path for the check to mean anything.
    expect(zh).toBeGreaterThan(1000);
  });

  it("are the same when a page of texts is segmented with one call", () => {
    for (let from = 0; from < sample.length; from += 100) {
      const page = sample.slice(from, from + 100);
      const batched = prepareTexts(page);
      page.forEach((text, k) => {
        const one = prepareText(text);
        expect(batched[k]!.lang, text).toBe(one.lang);
        expect(batched[k]!.tokens, text).toEqual(one.tokens);
        expect(Array.from(batched[k]!.negated), text).toEqual(Array.from(one.negated));
      });
    }
  });

  it("keep their negation marks when later texts are tokenised", () => {
    const cases: [string, string[], number[]][] = [
      ["没有闪退过，从来不卡", ["没有", "闪退", "过", ",", "从来不", "卡"], [0, 1, 1, 0, 0, 0]],
      ["这个不太好用", ["这个", "不", "太", "好用"], [0, 0, 0, 1]],
      ["一点也不卡顿，没有广告", ["一点", "也", "不", "卡顿", ",", "没有", "广告"], [0, 0, 0, 1, 0, 0, 1]],
    ];
    const first = cases.map(([text, tokens, marks]) => {
      const t = tokenizeZh(cleanText(text));
      expect(t.tokens).toEqual(tokens);
      expect(Array.from(t.negated), text).toEqual(marks);
      return t;
    });
    // Thousands of texts later, with other marks and none, the first ones' marks are unchanged.
    for (let k = 0; k < 3000; k++) tokenizeZh(k % 2 === 0 ? "很好用，很稳定" : "不卡，不卡，不卡，不卡");
    first.forEach((t, k) => expect(Array.from(t.negated)).toEqual(cases[k]![2]));
  });
});

describe("full-width forms", () => {
  // What cleanText does to a text with no markup, controls or runs of spaces in it.
  const halfWidth = (t: string) => t.replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).trim();

  it("become their ASCII forms, everything else unchanged", () => {
    const texts = generatedTexts(800).map((t) => t.replace(/\s+/g, " "));
    texts.push("ＡＢＣ！？～😀中文", "！".repeat(3000), "中😀！");
    for (const text of texts) expect(cleanText(text), text).toBe(halfWidth(text.slice(0, 2000)));
  });
});
