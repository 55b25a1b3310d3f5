/**
 * Sentiment and complaint bench: accuracy and macro-F1 of earshot and of baselines on every
 * dev.tsv of the sentiment data folder, complaint precision/recall on the project's own labelled
 * set, neutral rate on held-out neutral texts, throughput, model load time and memory.
 * Prints one JSON line per figure, then a readable table.
 *
 *   npm run bench:nlp [-- --corpora DIR]
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDevText, readDevSets } from "../src/nlp/corpora.ts";
import { readComplaintSet } from "../src/nlp/complaint-set.ts";
import { loadModel, scoreDetailed, scoreText, scoreTexts } from "../src/nlp/score.ts";
import { binaryMetrics, precisionRecall } from "../src/nlp/metrics.ts";
import { defaultCorporaDir, projectRoot } from "../src/nlp/paths.ts";
import { getJieba } from "../src/nlp/tokenize.ts";

const args = process.argv.slice(2);
const corporaDir = args.includes("--corpora") ? args[args.indexOf("--corpora") + 1]! : defaultCorporaDir;

// ---- child mode: a fresh process measures load time, single-core throughput and memory ----
// Texts are scored in pages of 100 through scoreTexts, as the pipeline scores a crawled page.
// Throughput is counted per second of this process's CPU time (user + system), the best of three
// passes: on a shared machine, wall time also counts the time other processes hold the core.
if (args[0] === "--child") {
  const texts = JSON.parse(readFileSync(0, "utf8")) as string[];
  const t0 = performance.now();
  const loadCpu0 = process.cpuUsage();
  loadModel();
  const loadMs = performance.now() - t0;
  const loadCpu = process.cpuUsage(loadCpu0);
  const loadCpuMs = (loadCpu.user + loadCpu.system) / 1000;
  const inputs = texts.map((text) => ({ text }));
  let perS = 0;
  let perSWall = 0;
  let perSSingle = 0;
  for (let pass = 0; pass < 3; pass++) {
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < inputs.length; i += 100) scoreTexts(inputs.slice(i, i + 100));
    const cpu = process.cpuUsage(cpu0);
    perS = Math.max(perS, texts.length / ((cpu.user + cpu.system) / 1e6));
    perSWall = Math.max(perSWall, texts.length / ((performance.now() - start) / 1000));
    const one0 = process.cpuUsage();
    for (const input of inputs) scoreText(input);
    const one = process.cpuUsage(one0);
    perSSingle = Math.max(perSSingle, texts.length / ((one.user + one.system) / 1e6));
  }
  process.stdout.write(JSON.stringify({ loadMs, loadCpuMs, perS, perSWall, perSSingle, rssMb: process.memoryUsage().rss / 2 ** 20 }) + "\n");
  process.exit(0);
}

const figures: { figure: string; value: number }[] = [];
function figure(name: string, value: number, digits = 4): void {
  const v = Number(value.toFixed(digits));
  figures.push({ figure: name, value: v });
  console.log(JSON.stringify({ figure: name, value: v }));
}

// Imported only here, not in the child: natural's index alone takes ~100 MB.
const { default: natural } = await import("natural");
const require = createRequire(import.meta.url);
const SentimentPkg = require("sentiment") as new () => { analyze(t: string): { score: number } };
const sentimentPkg = new SentimentPkg();
const afinn = new natural.SentimentAnalyzer("English", natural.PorterStemmer, "afinn");
const wordTokenizer = new natural.WordTokenizer();

function readLexicon(file: string): Set<string> {
  const path = join(corporaDir, "lexicons", "ntusd_ntunlplab", file);
  return new Set(existsSync(path) ? readFileSync(path, "utf8").split(/\r?\n/).filter(Boolean) : []);
}
const ntusdPos = readLexicon("ntusd_pos_simplified.txt");
const ntusdNeg = readLexicon("ntusd_neg_simplified.txt");

/** Baselines predict positive on a tie (score 0), as they would with a >= 0 threshold. */
const baselines: Record<"en" | "zh", Record<string, (text: string) => number>> = {
  en: {
    natural_afinn: (t) => (afinn.getSentiment(wordTokenizer.tokenize(t) ?? []) >= 0 ? 1 : 0),
    sentiment_pkg: (t) => (sentimentPkg.analyze(t).score >= 0 ? 1 : 0),
  },
  zh: {
    jieba_ntusd_count: (t) => {
      let s = 0;
      for (const w of getJieba().cut(t, true)) s += ntusdPos.has(w) ? 1 : ntusdNeg.has(w) ? -1 : 0;
      return s >= 0 ? 1 : 0;
    },
  },
};

const short = (name: string) =>
  name.replace("uci_sentiment_labelled_sentences", "uci").replace("ChnSentiCorp_htl_all", "chnsenticorp").replace("online_shopping_10_cats", "shopping").replace("gplay_productivity_en", "gplay").replace("twitter_us_airline", "airline").replace("smp2020_ewect", "smp2020").toLowerCase();

interface Row {
  set: string;
  lang: string;
  n: number;
  acc: number;
  f1: number;
  neutralRate: number;
  baselines: Record<string, { acc: number; f1: number }>;
}
const rows: Row[] = [];

const t0 = performance.now();
loadModel();
figure("model_load_ms_in_bench", performance.now() - t0, 1);

for (const dev of readDevSets(corporaDir)) {
  const gold: number[] = [];
  const pred: number[] = [];
  let neutral = 0;
  let zh = 0;
  for (const ex of dev.examples) {
    if (ex.label === "neutral") continue;
    const d = scoreDetailed({ text: ex.text });
    gold.push(ex.label);
    // Binary decision: the sign of the polarity (the neutral band is reported apart).
    pred.push(d.polarity >= 0 ? 1 : 0);
    if (d.label === "neutral") neutral++;
    if (d.lang === "zh") zh++;
  }
  const lang = zh * 2 >= gold.length ? "zh" : "en";
  const m = binaryMetrics(gold, pred);
  const row: Row = { set: short(dev.name), lang, n: gold.length, acc: m.accuracy, f1: m.macroF1, neutralRate: neutral / gold.length, baselines: {} };
  figure(`acc_${row.set}`, m.accuracy);
  figure(`f1_${row.set}`, m.macroF1);
  figure(`neutral_rate_${row.set}`, row.neutralRate);
  for (const [name, fn] of Object.entries(baselines[lang])) {
    const bp = dev.examples.filter((e) => e.label !== "neutral").map((e) => fn(e.text));
    const bm = binaryMetrics(gold, bp);
    row.baselines[name] = { acc: bm.accuracy, f1: bm.macroF1 };
    figure(`acc_${row.set}_${name}`, bm.accuracy);
    figure(`f1_${row.set}_${name}`, bm.macroF1);
  }
  rows.push(row);
}

// Held-out neutral texts (dev split of the 3-class files): how many come out neutral.
const neutralFiles: [string, string, number, string, number][] = [
  ["smp2020", "smp2020_ewect/emotion6_all.tsv", 1, "neural", 2],
  ["airline", "twitter_us_airline/all_3class.tsv", 0, "neutral", 4],
];
const neutralRows: [string, number, number][] = [];
for (const [name, file, classCol, cls, textCol] of neutralFiles) {
  const path = join(corporaDir, file);
  if (!existsSync(path)) continue;
  const texts = readFileSync(path, "utf8").split(/\r?\n/).slice(1).map((l) => l.split("\t")).filter((c) => c[classCol] === cls && c[textCol] && isDevText(c[textCol]!.trim())).map((c) => c[textCol]!.trim());
  const neutral = texts.filter((text) => scoreText({ text }).label === "neutral").length;
  figure(`neutral_recall_${name}_dev`, neutral / texts.length);
  neutralRows.push([name, texts.length, neutral / texts.length]);
}

// The project's own labelled complaint set.
const complaintSet = readComplaintSet(join(projectRoot, "test", "fixtures", "complaints", "complaints.tsv"));
const goldComplaint: boolean[] = [];
const predComplaint: boolean[] = [];
let categoryRight = 0;
let categoryTotal = 0;
let labelRight = 0;
for (const ex of complaintSet) {
  const s = scoreText({ text: ex.text, rating: ex.rating });
  goldComplaint.push(ex.category !== null);
  predComplaint.push(s.complaint === true);
  if (ex.category !== null && s.complaint) {
    categoryTotal++;
    if (s.category === ex.category) categoryRight++;
  }
  if (s.label === ex.label) labelRight++;
}
const pr = precisionRecall(goldComplaint, predComplaint);
figure("complaint_set_size", complaintSet.length, 0);
figure("complaint_precision", pr.precision);
figure("complaint_recall", pr.recall);
figure("complaint_category_acc", categoryTotal ? categoryRight / categoryTotal : 0);
figure("complaint_set_label_acc_3class", labelRight / complaintSet.length);

// Throughput, load time and memory in a fresh process, on 100-character texts.
function hundredCharTexts(lang: "zh" | "en", count: number): string[] {
  const pool = readDevSets(corporaDir).flatMap((d) => d.examples.map((e) => e.text)).filter((t) => (lang === "zh" ? /[\u4e00-\u9fff]/.test(t) : !/[\u4e00-\u9fff]/.test(t)));
  const out: string[] = [];
  let buf = "";
  for (let i = 0; out.length < count; i = (i + 1) % pool.length) {
    buf += pool[i] + " ";
    while (buf.length >= 100 && out.length < count) {
      out.push(buf.slice(0, 100));
      buf = buf.slice(100);
    }
  }
  return out;
}
const child = (texts: string[]) => {
  const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--child"], {
    input: JSON.stringify(texts),
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  const line = r.stdout.trim().split("\n").pop() ?? "{}";
  return JSON.parse(line) as { loadMs: number; loadCpuMs: number; perS: number; perSWall: number; perSSingle: number; rssMb: number };
};
const zhRun = child(hundredCharTexts("zh", 20_000));
const enRun = child(hundredCharTexts("en", 20_000));
figure("model_load_ms", zhRun.loadMs, 1);
figure("model_load_cpu_ms", zhRun.loadCpuMs, 1);
figure("score_texts_per_s", zhRun.perS, 0);
figure("score_texts_per_s_wall", zhRun.perSWall, 0);
figure("score_texts_per_s_one_at_a_time", zhRun.perSSingle, 0);
figure("score_texts_per_s_en", enRun.perS, 0);
figure("load_average_1m", loadavg()[0]!, 2);
figure("rss_mb_scoring_process", Math.max(zhRun.rssMb, enRun.rssMb), 1);

// Bad input: a 200 KB text must take bounded time.
const huge = "这个软件更新后一直闪退，".repeat(17_000);
const th = performance.now();
scoreText({ text: huge });
figure("score_200kb_text_ms", performance.now() - th, 2);

// ---- readable table ----
const pct = (x: number) => (x * 100).toFixed(1).padStart(5);
console.log("\nSentiment, binary accuracy / macro-F1 on each dev.tsv (earshot vs baselines)");
console.log("set           lang     n  earshot acc  F1    neutral%  baselines (acc / F1)");
for (const r of rows) {
  const b = Object.entries(r.baselines).map(([k, v]) => `${k} ${pct(v.acc)} / ${pct(v.f1)}`).join("   ");
  const beatsAll = Object.values(r.baselines).every((v) => r.acc > v.acc);
  console.log(`${r.set.padEnd(13)} ${r.lang}  ${String(r.n).padStart(6)}  ${pct(r.acc)}  ${pct(r.f1)}  ${pct(r.neutralRate)}    ${b}${beatsAll ? "" : "   <- below a baseline"}`);
}
for (const [name, n, rate] of neutralRows) console.log(`neutral texts held out (${name}, n=${n}): ${pct(rate)}% labelled neutral`);
console.log(`\nComplaint set (n=${complaintSet.length}): precision ${pct(pr.precision)}%  recall ${pct(pr.recall)}%  category accuracy ${pct(categoryTotal ? categoryRight / categoryTotal : 0)}% of found complaints`);
console.log(
  `\nThroughput on one core, 100-char texts in pages of 100, per CPU-second: zh ${zhRun.perS.toFixed(0)}/s ` +
    `(wall clock ${zhRun.perSWall.toFixed(0)}/s, one text per call ${zhRun.perSSingle.toFixed(0)}/s), en ${enRun.perS.toFixed(0)}/s; ` +
    `model load ${zhRun.loadMs.toFixed(0)} ms (${zhRun.loadCpuMs.toFixed(0)} ms of CPU); RSS ${Math.max(zhRun.rssMb, enRun.rssMb).toFixed(0)} MB; load average ${loadavg()[0]!.toFixed(1)}`,
);
// The 0.90 target is for Chinese *review* sets; smp2020 is Weibo posts and is reported apart.
const zhReview = rows.filter((r) => r.lang === "zh" && r.set !== "smp2020");
const targets: [string, boolean][] = [
  [`zh review dev sets acc >= 0.90 (${zhReview.map((r) => r.set).join(", ")})`, zhReview.every((r) => r.acc >= 0.9)],
  ["en dev sets acc >= 0.88", rows.filter((r) => r.lang === "en").every((r) => r.acc >= 0.88)],
  ["above every baseline on every set", rows.every((r) => Object.values(r.baselines).every((v) => r.acc > v.acc))],
  ["complaint precision >= 0.90", pr.precision >= 0.9],
  ["complaint recall >= 0.85", pr.recall >= 0.85],
  ["throughput >= 20,000 texts/s", zhRun.perS >= 20_000 && enRun.perS >= 20_000],
  ["model load < 500 ms", zhRun.loadMs < 500],
  ["RSS < 250 MB", Math.max(zhRun.rssMb, enRun.rssMb) < 250],
];
console.log("\nTargets:");
for (const [name, ok] of targets) console.log(`  ${ok ? "met   " : "MISSED"}  ${name}`);
for (const r of rows.filter((r) => r.lang === "zh" && !zhReview.includes(r))) {
  console.log(`  (${r.set}: Weibo posts, not a review set; accuracy ${pct(r.acc)}% is reported without a target)`);
}
