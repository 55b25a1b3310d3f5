/**
 * Generated social posts about the sandbox apps, shared by the Weibo, Tieba, Discourse and forum
 * stand-ins: short complaints and praise in Chinese, some long, some reposting an earlier post,
 * a few reposting a deleted one. Post k of a feed always has the same id, text and time, so
 * growing a feed (`sandbox.grow("weibo:喵记", n)`) only adds newer posts at the top.
 */
import { seededRandom } from "../random.ts";
import { hashSeed, sandboxApps, type SandboxApp } from "./data.ts";
import type { SandboxState } from "./server.ts";

export interface SocialPost {
  /** Position in the feed, 0 = oldest. */
  k: number;
  id: string;
  app: SandboxApp;
  author: string;
  uid: string;
  title: string;
  text: string;
  /** When it was posted (ms). */
  at: number;
  /** Long enough that list views cut it ("全文"). */
  long: boolean;
  /** The post this one reposts; `deleted` when its author removed it. */
  repostOf: SocialPost | "deleted" | null;
  likes: number;
  comments: number;
  reposts: number;
}

/** Posts each feed starts with. */
export const INITIAL_POSTS = 120;
/** Post HORIZON would be posted at the sandbox's now: room for 40 grown posts. */
const HORIZON = INITIAL_POSTS + 40;

/** Posts thin out with age (minutes apart grow), so a feed spans minutes ago to last week. */
function minutesAgo(k: number): number {
  const d = HORIZON - k;
  return d + Math.floor((d * d) / 4);
}

const phrases: readonly [title: string, text: string][] = [
  ["又闪退了", "{app}又闪退了，刚写的东西全没了[怒]"],
  ["卡顿", "{app}更新以后卡顿严重，滑一下卡半天[汗]"],
  ["乱扣费", "{app}自动续费乱扣费，30块说扣就扣，客服也找不到"],
  ["登录不了", "{app}登录不了，验证码一直收不到"],
  ["求助", "有人知道{app}怎么导出数据吗？找了半天"],
  ["新版本", "{app}新版本流畅多了[doge]"],
  ["服了", "{app}闪退加卡顿，真的服了，手机都发烫"],
  ["白屏", "{app}打开就白屏，重装也没用"],
  ["夜间模式", "{app}的夜间模式什么时候出啊"],
  ["推荐", "推荐{app}，用了两年很稳定[赞]"],
  ["广告", "{app}开屏广告关不掉，一点就跳转，太恶心了"],
  ["同步", "{app}同步老是失败，换了网络也一样"],
];
const devices = ["iPhone 13", "华为Mate 60", "小米14", "iPad", "OPPO Find X7", "vivo X100", "荣耀Magic6", "三星S24", "一加12", "红米K70"];
const contexts = ["早上通勤时", "晚上睡前", "午休的时候", "周末在家", "出差路上", "刚换新手机", "连着wifi", "用5G", "省电模式下", "刚更新完"];
const tails = ["反馈过两次了", "希望尽快修复", "朋友也遇到了", "评论区好多人一样", "重启也没用", "清过缓存了", "第一次发帖", "用了好几年了", "客服说在排查", "有没有人一样"];
const names = ["小鱼干", "阿强不强", "momo", "旅行的猫", "用户7391", "晴天", "k_wong", "北京路人", "程序员老王", "一只兔子"];
const longTail =
  "具体情况是这样的：每次打开之后过几秒就会自动退出，之前的版本从来没有这个问题。我试过卸载重装、清理缓存、重启手机，" +
  "甚至恢复了出厂设置，问题依旧。联系客服只给了一个模板回复，让我等待后续版本。作为用了好几年的老用户真的很失望，" +
  "希望开发团队能认真看看用户的反馈，尽快修复，不然只能换别的应用了。";

/** The app a search is about (its name or alias in the query) and the other words of the query. */
export function appForQuery(query: string, state?: SandboxState): { app: SandboxApp | null; terms: string[] } {
  const words = query.split(/[\s+]+/).map((w) => w.trim()).filter(Boolean);
  const app = [...sandboxApps, ...(state?.apps ?? [])].find((a) => words.some((w) => a.names.some((n) => n.toLowerCase() === w.toLowerCase()))) ?? null;
  const terms = words.filter((w) => !app?.names.some((n) => n.toLowerCase() === w.toLowerCase()));
  return { app, terms };
}

/** How many posts a feed holds now. */
export function feedSize(state: SandboxState, feed: string): number {
  return INITIAL_POSTS + (state.growth.get(feed) ?? 0);
}

/** Post k of a feed, made once per call chain (a repost makes the post it reposts). */
function postMaker(site: string, app: SandboxApp, state: SandboxState): (k: number) => SocialPost {
  const cache = new Map<number, SocialPost>();
  const post = (k: number): SocialPost => {
    let p = cache.get(k);
    if (!p) {
      p = makePost(site, app, k, state.now, post);
      cache.set(k, p);
    }
    return p;
  };
  return post;
}

/** The whole feed of a site about an app, newest first. */
export function socialFeed(site: string, app: SandboxApp, state: SandboxState): SocialPost[] {
  const n = feedSize(state, `${site}:${app.names[0]}`);
  const post = postMaker(site, app, state);
  const out: SocialPost[] = [];
  for (let k = n - 1; k >= 0; k--) out.push(post(k));
  return out;
}

/** Post k of a feed (0 = the oldest), or null when the feed does not hold it (yet). */
export function feedPost(site: string, app: SandboxApp, k: number, state: SandboxState): SocialPost | null {
  if (!Number.isInteger(k) || k < 0 || k >= feedSize(state, `${site}:${app.names[0]}`)) return null;
  return postMaker(site, app, state)(k);
}

/** When post k of any feed is (or would be) posted: the slot after it bounds what happens to it before the next post. */
export function postedAt(k: number, now: number): number {
  return now - minutesAgo(k) * 60_000;
}

/** The feed's posts that contain every term (in their text or in the post they repost), newest first. */
export function searchFeed(site: string, query: string, state: SandboxState): SocialPost[] {
  const { app, terms } = appForQuery(query, state);
  if (!app) return [];
  return socialFeed(site, app, state).filter((p) =>
    terms.every((t) => fullText(p).includes(t) || (typeof p.repostOf === "object" && p.repostOf !== null && fullText(p.repostOf).includes(t))),
  );
}

/** Where added apps' post ids start: below every built-in app's (4_900_…). */
const ADDED_APP_IDS = 4_800_000_000_000_000;

/**
 * A shorter number for a post, unique within its site, for sites whose ids are short: the last
 * `digits` of the id for the built-in apps' posts, a number above all of those for added apps'.
 */
export function shortId(p: SocialPost, digits: number): number {
  return p.app.serial ? 10_000_000 + (Number(p.id) - ADDED_APP_IDS) : Number(p.id.slice(-digits));
}

/** The post's whole text (a long post's list view cuts it). */
export function fullText(p: SocialPost): string {
  return p.long ? `${p.text}${longTail}` : p.text;
}

function makePost(site: string, app: SandboxApp, k: number, now: number, post: (k: number) => SocialPost): SocialPost {
  const rnd = seededRandom(hashSeed(site, app.trackId, String(k)));
  const [title, phrase] = phrases[Math.floor(rnd() * phrases.length)]!;
  const pick = (list: readonly string[]) => list[Math.floor(rnd() * list.length)]!;
  const text = `${phrase.replaceAll("{app}", app.names[0]!)}。${pick(devices)}，${pick(contexts)}，${pick(tails)}（第${k + 1}帖）`;
  const author = `${pick(names)}${k % 89}`;
  // Every 5th post reposts the post three older; every 23rd reposts one its author deleted.
  const repostOf = k % 23 === 22 ? "deleted" : k % 5 === 4 && k >= 3 ? post(k - 3) : null;
  return {
    k,
    id: app.serial
      ? String(ADDED_APP_IDS + (hashSeed(site) % 1000) * 10_000_000_000 + app.serial * 100_000 + k)
      : String(4_900_000_000_000_000 + (hashSeed(site, app.trackId) % 100_000) * 100_000 + k),
    app,
    author,
    uid: String(5_000_000_000 + (hashSeed(author) % 1_000_000_000)),
    title: `${app.names[0]}${title}`,
    // A repost says little of its own; one of a deleted post keeps its complaint (the original is gone).
    text: repostOf && repostOf !== "deleted" ? `${pick(["同样的问题", "转发微博", "+1", "我也是这样"])}[${pick(["怒", "doge", "汗"])}]` : text,
    at: postedAt(k, now),
    long: !repostOf && k % 7 === 3,
    repostOf,
    likes: Math.floor(rnd() * 20_000),
    comments: Math.floor(rnd() * 300),
    reposts: Math.floor(rnd() * 2_000_000),
  };
}
