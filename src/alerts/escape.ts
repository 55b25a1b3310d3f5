/**
 * Scraped text is untrusted: each target's markup gets its own escaping, so a post cannot
 * mention @all, fake a link, or break the message layout.
 */

/** Slack mrkdwn: only &, < and > are control characters (links and mentions live inside <…>). */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A Slack link; the URL may not contain | or > (they end the link). */
export function slackLink(url: string, label: string): string {
  return `<${escapeSlack(url).replace(/\|/g, "%7C")}|${escapeSlack(label)}>`;
}

/**
 * Markdown for DingTalk and WeCom robots: a backslash before the characters that start emphasis,
 * code or a link anywhere in a line, and before a list, heading or numbered marker at a line's
 * start; nothing else, so ordinary punctuation (". ! ( ) -") is not cluttered with backslashes in
 * renderers that show them. HTML's < > & become entities (both render some HTML). @ is broken
 * with a zero-width joiner so a post cannot notify members.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([\\`*_[\]~])/g, "\\$1")
    .replace(/^(\s*)([#+-])/gm, "$1\\$2")
    .replace(/^(\s*\d+)([.)])/gm, "$1\\$2")
    .replace(/@/g, "@\u200d");
}

/** A URL inside markdown link parentheses: spaces and parentheses percent-encoded. */
export function markdownUrl(url: string): string {
  return url.replace(/[ ()<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

/** Feishu lark_md: HTML entities for its control characters (it does not honour backslashes). */
export function escapeLarkMd(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\*/g, "&#42;")
    .replace(/_/g, "&#95;")
    .replace(/~/g, "&#126;")
    .replace(/\[/g, "&#91;")
    .replace(/\]/g, "&#93;")
    .replace(/\(/g, "&#40;")
    .replace(/\)/g, "&#41;")
    .replace(/`/g, "&#96;")
    .replace(/@/g, "@\u200d");
}

/**
 * Feishu text messages: `<at user_id="all"></at>` (and <b>, <i>, <u>, <s>) tags and `[label](url)`
 * links are live, and entities are not decoded. A zero-width joiner after every < and between ]
 * and ( leaves the text readable but no tag or link for Feishu to act on.
 */
export function escapeLarkText(text: string): string {
  return text.replace(/</g, "<\u200d").replace(/\]\(/g, "]\u200d(");
}

/** HTML text and attribute values (email bodies). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** Whitespace (including newlines that would start a markdown block) collapsed to single spaces. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
