/**
 * Generated content for the sandbox: reviews and posts about two made-up apps, in Chinese,
 * English and Japanese, with the mix a real store shows (mostly short, some angry, some reposted).
 * Everything is derived from a seed, so two sandboxes serve the same items with the same ids.
 */
import { seededRandom } from "../random.ts";

export interface SandboxApp {
  trackId: string;
  names: string[];
  bundleId: string;
  playPackage: string;
  /** TapTap app id (digits). */
  taptapId?: string;
  /** Apps added with `sandbox.addApp`: 1, 2, … (keeps their posts' ids apart from other apps'). */
  serial?: number;
}

export const sandboxApps: SandboxApp[] = [
  { trackId: "1500000001", names: ["喵记", "MeowNote"], bundleId: "com.example.meownote", playPackage: "com.example.meownote", taptapId: "210001" },
  { trackId: "1500000002", names: ["快跑", "QuickRun"], bundleId: "com.example.quickrun", playPackage: "com.example.quickrun", taptapId: "210002" },
];

export interface GeneratedReview {
  id: string;
  author: string;
  rating: number;
  title: string;
  text: string;
  version: string;
  /** ISO 8601 with the storefront's offset, as Apple writes it. */
  updated: string;
}


export function hashSeed(...parts: string[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join("|")) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

type Phrase = readonly [rating: number, title: string, text: string];

const zh: Phrase[] = [
  [1, "又闪退了", "{app}更新之后一打开就闪退，重装了也没用，聊天记录全没了"],
  [1, "垃圾", "开屏广告关不掉，点一下就跳到别的应用，太恶心了"],
  [2, "卡顿严重", "最近越来越卡，滑动列表卡成PPT，手机都发烫"],
  [1, "乱扣费", "自动续费关不掉，这个月又扣了我30块，客服也联系不上"],
  [2, "登录不了", "一直提示网络错误，验证码收不到，登录不了"],
  [3, "还行", "功能还可以，就是有时候同步有点慢"],
  [4, "不错", "界面挺好看的，希望能加个夜间模式"],
  [5, "好用", "用了两年了，一直很稳定，推荐"],
  [5, "yyds", "{app}yyds！新版本流畅多了，不卡了"],
  [1, "白屏", "升级到最新版本后首页白屏，什么都显示不出来"],
  [2, "隐私", "为什么要读取我的通讯录？不给权限就不能用，太过分了"],
  [3, "请问", "请问怎么导出数据？找了半天没找到"],
];
const en: Phrase[] = [
  [1, "Crashes on launch", "Since the last update {app} crashes every time I open it. Reinstalled, still broken."],
  [1, "Charged twice", "I was billed twice for the subscription and support never answered my emails."],
  [2, "So slow", "The app freezes for seconds when I scroll. My phone gets hot."],
  [2, "Can't log in", "Login keeps failing with 'network error' even on good wifi."],
  [1, "Too many ads", "An ad pops up after every single tap. Unusable."],
  [3, "Okay", "Does the job, but sync is slow sometimes."],
  [4, "Nice design", "Clean interface. Please add a dark mode."],
  [5, "Love it", "Been using {app} for two years, rock solid."],
  [5, "Great update", "The new version is much faster, thanks team!"],
  [3, "Question", "How do I export my notes to PDF?"],
];
const ja: Phrase[] = [
  [1, "起動しない", "アップデート後、{app}が起動直後に落ちます。再インストールしても直りません。"],
  [2, "重い", "スクロールするたびに固まります。"],
  [5, "最高", "毎日使っています。とても便利です。"],
  [4, "良い", "デザインがきれい。ダークモードが欲しいです。"],
  [1, "広告が多すぎる", "操作するたびに広告が出てきて使えません。"],
];

/** Clauses a reviewer adds around the point: device, context, what they tried. */
const details: Record<"zh" | "en" | "ja", string[][]> = {
  zh: [
    ["用的iPhone 13", "华为Mate 40上", "小米12", "iPad上", "安卓13系统", "OPPO手机", "荣耀平板", "iPhone 15 Pro", "vivo X90", "三星S23"],
    ["早上通勤的时候", "晚上睡前", "上班午休时", "周末在家", "出差路上", "刚换了新手机", "连着wifi", "用5G网络", "开着省电模式", "刚更新完"],
    ["反馈过两次了", "希望尽快处理", "朋友也遇到了", "已经推荐给同事", "评论区好多人一样", "重启手机也一样", "清过缓存", "第一次写评价", "用了好几年", "客服说在排查"],
  ],
  en: [
    ["on my iPhone 13", "on a Pixel 7", "on my iPad", "on Android 14", "on a Galaxy S23", "on my work phone", "on an old iPhone 8", "on a OnePlus 11", "on my tablet", "on iOS 17"],
    ["during my commute", "late at night", "at lunch", "on weekends", "while traveling", "right after the update", "on wifi", "on 5G", "in low power mode", "after a fresh install"],
    ["reported it twice", "please fix soon", "my friends see it too", "told my coworkers", "lots of reviews say the same", "restarting doesn't help", "cleared the cache", "first review ever", "long-time user", "support is looking into it"],
  ],
  ja: [
    ["iPhone 13で", "Pixel 7で", "iPadで", "Android 14で", "古いiPhoneで", "仕事用のスマホで"],
    ["通勤中に", "夜寝る前に", "昼休みに", "週末に", "アップデート直後に", "Wi-Fiで"],
    ["二回報告しました", "早く直してください", "友達も同じです", "長く使っています", "初めてのレビューです", "再起動してもだめ"],
  ],
};

const authors = ["小明", "Lee", "猫猫", "jdoe", "旅人", "sakura", "阿强", "Maria", "用户8812", "k_wong"];
const versions = ["3.2.0", "3.2.1", "3.3.0", "3.4.0"];

export function phrasesFor(country: string): Phrase[] {
  if (country === "cn" || country === "tw" || country === "hk") return zh;
  if (country === "jp") return ja;
  return en;
}

/**
 * The n newest reviews of an app in one storefront, newest first. Review k (0 = oldest) always has
 * the same id and text, so growing n only adds newer reviews at the top.
 */
export function storeReviews(app: SandboxApp, country: string, n: number, now: number): GeneratedReview[] {
  const phrases = phrasesFor(country);
  const out: GeneratedReview[] = [];
  for (let k = n - 1; k >= 0; k--) {
    const rnd = seededRandom(hashSeed(app.trackId, country, String(k % 40 === 39 ? k - 20 : k)));
    const [rating, title, text] = phrases[Math.floor(rnd() * phrases.length)]!;
    const name = app.names[country === "cn" ? 0 : 1] ?? app.names[0]!;
    // How long the reviewer has used the app keeps texts apart; every 40th review repeats an
    // earlier one word for word, as copy-pasted complaints do.
    const days = k % 40 === 39 ? k - 20 : k;
    const lang = country === "cn" ? "zh" : country === "jp" ? "ja" : "en";
    const [d1, d2, d3] = details[lang].map((slot) => slot[Math.floor(rnd() * slot.length)]!);
    const suffix =
      lang === "zh" ? `。${d1}，${d2}，${d3}（用了${days + 3}天）` : lang === "ja" ? `。${d1}、${d2}。${d3}（利用${days + 3}日目）` : `. ${d1}, ${d2}; ${d3} (user for ${days + 3} days)`;
    out.push({
      id: String(9_000_000_000 + hashSeed(app.trackId, country) % 1_000_000 * 1000 + k),
      author: `${authors[Math.floor(rnd() * authors.length)]}${k % 97}`,
      rating,
      title,
      text: text.replaceAll("{app}", name) + suffix,
      version: versions[Math.min(versions.length - 1, Math.floor((k / Math.max(n, 1)) * versions.length))]!,
      // Fixed per review, so growing the feed never moves an old review's date.
      updated: appleDate(now - (REVIEW_HORIZON - k) * 60_000),
    });
  }
  return out;
}

/** Reviews are a minute apart and review REVIEW_HORIZON would be "now": room for any test's growth. */
const REVIEW_HORIZON = 2000;

/** Apple's feed dates: "2021-07-26T18:26:24-07:00" (we serve UTC-07:00 like the US feed). */
function appleDate(ms: number): string {
  const d = new Date(ms - 7 * 3600_000);
  return `${d.toISOString().slice(0, 19)}-07:00`;
}

/** A review as the Google Play and TapTap routes serve it: generated, then edited, in list order. */
export interface FeedReview extends GeneratedReview {
  /** 0 = the oldest review of the feed. */
  index: number;
  /** When the review was written or last edited (ms). */
  at: number;
}

interface ReviewEdit {
  index: number;
  text?: string;
  rating?: number;
  /** How much the feed had grown when the edit was made: the edit dates from just after its newest review. */
  growthAtEdit: number;
}

const editsByState = new WeakMap<object, Map<string, ReviewEdit[]>>();

/**
 * Edits review `index` (0 = oldest) of a feed ("googleplay:<package>:<lang-country>",
 * "taptap:<appId>:<region>"): it keeps its id, takes the new text or rating, and moves to the top
 * of the newest-first list, as stores show an edited review.
 */
export function editStoreReview(state: { growth: Map<string, number> }, feed: string, index: number, change: { text?: string; rating?: number }): void {
  const edits = editsByState.get(state) ?? new Map<string, ReviewEdit[]>();
  editsByState.set(state, edits);
  const list = edits.get(feed) ?? [];
  list.push({ index, ...change, growthAtEdit: state.growth.get(feed) ?? 0 });
  edits.set(feed, list);
}

/**
 * The reviews of one feed, newest first: `initial` plus its growth, with edits applied.
 * `app` seeds ids and texts (use a distinct trackId per feed); `country` picks the language.
 */
export function feedReviews(
  state: { growth: Map<string, number>; now: number },
  feed: string,
  app: SandboxApp,
  country: string,
  initial: number,
): FeedReview[] {
  const n = initial + (state.growth.get(feed) ?? 0);
  const list: FeedReview[] = storeReviews(app, country, n, state.now).map((r, i) => ({ ...r, index: n - 1 - i, at: Date.parse(r.updated) }));
  const edits = editsByState.get(state)?.get(feed);
  if (!edits?.length) return list;
  for (const e of edits) {
    const r = list[n - 1 - e.index];
    const newest = list[n - 1 - Math.min(n - 1, initial + e.growthAtEdit - 1)];
    if (!r || !newest) continue;
    if (e.text !== undefined) r.text = e.text;
    if (e.rating !== undefined) r.rating = e.rating;
    r.at = newest.at + 30_000;
  }
  return list.sort((a, b) => b.at - a.at);
}

/** A sandbox app for any store id: a known app when the id is one of theirs, else one named after the id. */
export function sandboxAppFor(id: string, known: (a: SandboxApp) => boolean): SandboxApp {
  const app = sandboxApps.find(known);
  if (app) return app;
  const name = (id.split(".").pop() ?? id).replace(/^\w/, (c) => c.toUpperCase());
  return { trackId: id, names: [name, name], bundleId: id, playPackage: id };
}
