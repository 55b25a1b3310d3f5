import type { ComplaintCategory } from "./categories.ts";

/**
 * What a complaint is about, as words users write. A "problem" cue is bad by itself (闪退,
 * crashes) and is cancelled by a negation right before it (没有闪退, never crashes); a "topic" cue
 * names an area (登录, support) and only counts in a negative text, where a negation before it
 * is part of the complaint (无法登录, can't log in), except for ads and performance, whose
 * absence is praise (没有广告, no lag). A "weak" cue is a topic cue too ambiguous to
 * show on its own that the text is about an app (卡 is also a card, 内容 also a TV show's).
 * Chinese cues are simplified; traditional text is converted before matching, and Taiwan
 * vocabulary (当机, 登入, 帐号, 储值) is listed in its simplified form.
 */
export interface CueList {
  problem: readonly string[];
  topic: readonly string[];
  weak?: readonly string[];
}

export const zhCues: Record<Exclude<ComplaintCategory, "other">, CueList> = {
  crash: {
    problem: ["闪退", "崩溃", "崩了", "当机", "死机", "自动退出", "强制退出", "一打开就退", "秒退", "闪出", "黑屏", "白屏", "无响应", "停止运行", "打不开", "进不去", "启动不了"],
    topic: [],
  },
  performance: {
    problem: ["卡顿", "卡死", "卡成ppt", "很卡", "太卡", "好卡", "卡爆", "卡住", "加载慢", "加载不出来", "转圈", "耗电", "发烫", "发热", "掉帧", "反应慢", "延迟高", "占内存", "太慢", "很慢", "超慢", "好慢"],
    topic: ["内存", "延迟", "加载", "流畅度", "速度"],
    weak: ["卡", "慢"],
  },
  login: {
    problem: ["登不上", "登录不了", "登陆不了", "登录失败", "无法登录", "封号", "被封", "掉线", "收不到验证码"],
    topic: ["登录", "登陆", "登入", "账号", "帐号", "密码", "验证码", "注册", "绑定", "实名", "退出登录", "解封"],
  },
  payment: {
    problem: ["乱扣费", "乱扣", "扣费", "扣款", "扣钱", "乱收费", "自动续费", "不退款", "不给退", "被扣", "骗钱", "坑钱"],
    topic: ["退款", "续费", "充值", "付款", "支付", "会员", "vip", "收费", "订阅", "储值", "花钱", "价格", "退钱", "买了"],
  },
  ads: {
    problem: ["开屏广告", "广告太多", "全是广告", "广告多", "弹窗广告", "诱导点击", "摇一摇"],
    topic: ["广告", "弹窗", "推送太多", "推广"],
  },
  privacy: {
    problem: ["泄露", "外泄", "偷听", "监听", "窃取", "骚扰电话", "乱要权限", "读取通讯录"],
    topic: ["隐私", "权限", "个人信息", "通讯录", "定位", "人脸识别", "授权"],
  },
  service: {
    problem: ["不理人", "没人理", "不回复", "没人回复", "踢皮球", "敷衍", "机器人客服"],
    topic: ["客服", "人工", "售后", "投诉", "工作人员", "态度", "回复", "处理"],
  },
  update: {
    problem: ["越更新越", "更新后", "更新完", "更新以后", "升级后", "改版后", "新版本后", "新版后"],
    topic: ["更新", "升级", "改版", "版本", "新版本", "新版", "旧版", "回退"],
  },
  bug: {
    problem: ["bug", "出错", "报错", "故障", "失灵", "乱码", "不同步", "数据丢失", "消息丢失", "没反应", "点不动", "不能用", "用不了", "没法用", "失效", "收不到", "显示不全", "不显示", "闪屏", "毛病"],
    topic: ["错误", "异常", "同步", "丢失", "通知", "功能"],
  },
  content: {
    problem: ["低俗", "标题党", "营销号", "抄袭", "乱删帖", "删帖", "谣言", "色情", "劣质内容", "水贴"],
    topic: ["推荐", "算法", "审核", "首页", "信息流", "视频质量", "画质"],
    weak: ["内容"],
  },
};

export const enCues: Record<Exclude<ComplaintCategory, "other">, CueList> = {
  crash: {
    problem: ["crash", "crashes", "crashing", "crashed", "force close", "force closes", "keeps closing", "closes itself", "won't open", "wont open", "doesn't open", "not responding", "black screen", "white screen", "blank screen"],
    topic: [],
  },
  performance: {
    problem: ["laggy", "lags", "lagging", "freezes", "freezing", "frozen", "sluggish", "takes forever", "drains my battery", "battery drain", "too slow", "so slow", "very slow", "hangs"],
    topic: ["slow", "lag", "freeze", "battery", "memory", "loading", "performance", "speed"],
  },
  login: {
    problem: ["can't log in", "cant log in", "can't login", "cant login", "can't sign in", "cant sign in", "logged out", "locked out", "banned"],
    topic: ["login", "log in", "sign in", "signin", "log-in", "password", "account", "verification code", "2fa", "otp", "sign up", "signup"],
  },
  payment: {
    problem: ["charged me", "double charged", "overcharged", "no refund", "scam", "ripoff", "rip off", "stole my money"],
    topic: ["charged", "charge", "charges", "refund", "subscription", "subscribe", "payment", "pay", "paid", "paywall", "billing", "billed", "money", "premium", "price", "expensive", "renew", "renewal", "auto-renew", "trial"],
  },
  ads: {
    problem: ["too many ads", "full of ads", "ads everywhere", "pop-up ads", "popup ads", "ad every"],
    topic: ["ad", "ads", "advert", "adverts", "advertisement", "advertisements", "advertising", "popup", "pop-up", "pop-ups", "popups", "commercials"],
  },
  privacy: {
    problem: ["spyware", "sells my data", "sell my data", "data leak", "leaked", "tracking me", "spying"],
    topic: ["privacy", "permission", "permissions", "personal data", "my data", "tracking", "location", "personal information", "contacts"],
  },
  service: {
    problem: ["no response", "never replied", "never replies", "never responded", "no reply", "ignored my", "no one answers", "nobody answers"],
    topic: ["support", "customer service", "customer support", "help desk", "helpdesk", "agent", "ticket", "contacted", "email them", "emailed", "developer response"],
  },
  update: {
    problem: ["since the update", "since the last update", "after the update", "after updating", "latest update", "new update", "recent update", "since updating", "new version", "latest version"],
    topic: ["update", "updated", "updates", "redesign", "upgrade", "version"],
  },
  bug: {
    problem: ["bug", "bugs", "buggy", "glitch", "glitches", "glitchy", "doesn't work", "does not work", "not working", "stopped working", "broken", "doesn't sync", "won't sync", "not syncing", "disappeared", "deleted my", "lost all my", "lost my"],
    topic: ["error", "errors", "sync", "syncing", "notification", "notifications", "reminder", "reminders", "widget", "feature", "issue", "issues", "problem", "problems"],
  },
  content: {
    problem: ["clickbait", "fake news", "misinformation", "censorship", "censored"],
    topic: ["feed", "recommendations", "algorithm", "moderation", "content"],
  },
};

/** Words that show a text is about an app or service even without a category cue. */
export const zhProductWords: readonly string[] = [
  "app", "软件", "应用", "客户端", "平台", "官方", "小程序", "界面", "程序", "开发者", "产品", "这破", "体验",
];
export const enProductWords: readonly string[] = [
  "app", "apps", "application", "developer", "developers", "devs", "software", "platform", "interface", "ui", "your app", "this app", "the app", "you guys", "user experience",
];

/** Categories in the order they win a tie: the more specific problem first. */
export const categoryPrecedence: readonly Exclude<ComplaintCategory, "other">[] = [
  "crash", "payment", "login", "privacy", "ads", "performance", "bug", "service", "content", "update",
];
