// Interface strings in English and Chinese. Data (mention text, app names) is never translated.
export const strings = {
  en: {
    mentions: "Mentions", trends: "Trends", alerts: "Alerts", watchlists: "Watchlists", sources: "Sources health",
    queues: "Queues", logout: "Log out", login: "Log in", tokenLabel: "API token", loginHelp: "Create one with: earshot token create --role analyst --name you",
    badToken: "This token is unknown, revoked or not allowed to use the dashboard.",
    search: "Search", searchPlaceholder: "Search mentions, e.g. 闪退 or crash", app: "App", source: "Source", any: "Any",
    sentiment: "Sentiment", negative: "negative", neutral: "neutral", positive: "positive", minRating: "Min. rating", maxRating: "Max. rating",
    complaintsOnly: "Complaints only", category: "Category", from: "From", to: "To", includeDuplicates: "Include reposts",
    language: "Language", keyword: "Keyword",
    loadMore: "Load more", noResults: "No mentions match.", exportCsv: "Export CSV", exportJsonl: "Export JSON lines", open: "Open",
    duplicateOf: "repost of", results: "results", volume: "Daily volume by sentiment", categories: "Complaint categories by day",
    share: "Share by source", topTerms: "Top terms", ratings: "Average rating per version", version: "Version", average: "Average", count: "Count",
    state: "State", severity: "Severity", kind: "Kind", created: "Created", ack: "Ack", resolve: "Resolve", retry: "Retry delivery",
    note: "Note", resolveNote: "What was done?", noAlerts: "The inbox is empty.", all: "All", open_: "Open", acked: "Acked", resolved: "Resolved",
    delivered: "delivered", pending: "pending", dead: "dead",
    newWatchlist: "New watchlist", keywords: "Keywords (comma-separated)", interval: "Interval", enabled: "Enabled", save: "Save",
    disable: "Disable", enable: "Enable", delete: "Delete", confirmDelete: "Delete this watchlist and its matches?", adminOnly: "Only admins can change watchlists.",
    exportYaml: "Export YAML", lastRun: "Last run", status: "Status", errors24h: "Errors (24h)", blockedUntil: "Blocked until", rateLimited24h: "Rate-limited (24h)",
    newItems24h: "New (24h)", never: "never", saved: "Saved.", valid: "Looks good.", loading: "Loading…", failed: "Request failed",
  },
  zh: {
    mentions: "提及", trends: "趋势", alerts: "告警", watchlists: "监控列表", sources: "数据源状态",
    queues: "队列", logout: "退出", login: "登录", tokenLabel: "API 令牌", loginHelp: "用命令创建：earshot token create --role analyst --name 你的名字",
    badToken: "令牌无效、已吊销，或无权使用控制台。",
    search: "搜索", searchPlaceholder: "搜索提及，例如 闪退 或 crash", app: "应用", source: "来源", any: "全部",
    sentiment: "情感", negative: "负面", neutral: "中性", positive: "正面", minRating: "最低评分", maxRating: "最高评分",
    complaintsOnly: "仅投诉", category: "类别", from: "开始日期", to: "结束日期", includeDuplicates: "包含转发",
    language: "语言", keyword: "关键词",
    loadMore: "加载更多", noResults: "没有匹配的提及。", exportCsv: "导出 CSV", exportJsonl: "导出 JSON Lines", open: "打开",
    duplicateOf: "转发自", results: "条结果", volume: "每日提及量（按情感）", categories: "投诉类别（按天）",
    share: "来源占比", topTerms: "高频词", ratings: "各版本平均评分", version: "版本", average: "平均", count: "数量",
    state: "状态", severity: "级别", kind: "类型", created: "时间", ack: "确认", resolve: "解决", retry: "重新投递",
    note: "备注", resolveNote: "做了什么处理？", noAlerts: "收件箱为空。", all: "全部", open_: "未处理", acked: "已确认", resolved: "已解决",
    delivered: "已送达", pending: "待发送", dead: "失败",
    newWatchlist: "新建监控", keywords: "关键词（逗号分隔）", interval: "间隔", enabled: "启用", save: "保存",
    disable: "停用", enable: "启用", delete: "删除", confirmDelete: "删除此监控列表及其匹配记录？", adminOnly: "只有管理员可以修改监控列表。",
    exportYaml: "导出 YAML", lastRun: "最近运行", status: "状态", errors24h: "错误（24 小时）", blockedUntil: "封禁至", rateLimited24h: "限流（24 小时）",
    newItems24h: "新增（24 小时）", never: "从未", saved: "已保存。", valid: "检查通过。", loading: "加载中…", failed: "请求失败",
  },
};

export function defaultLanguage() {
  const saved = localStorage.getItem("earshot.lang");
  if (saved === "zh" || saved === "en") return saved;
  return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
}
