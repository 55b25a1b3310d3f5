import { createHmac } from "node:crypto";
import { SMTPServer } from "smtp-server";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dingtalkSender, dingtalkSign } from "../../src/alerts/channels/dingtalk.ts";
import { emailSender } from "../../src/alerts/channels/email.ts";
import { feishuSender, feishuSign } from "../../src/alerts/channels/feishu.ts";
import { slackSender } from "../../src/alerts/channels/slack.ts";
import { consoleSender } from "../../src/alerts/channels/console.ts";
import { RetryLaterError, UndeliverableError, type ChannelConfig, type OutgoingMessage } from "../../src/alerts/channels/types.ts";
import { wecomSender } from "../../src/alerts/channels/wecom.ts";
import { webhookSender } from "../../src/alerts/channels/webhook.ts";
import { escapeMarkdown } from "../../src/alerts/escape.ts";
import { closeHttpAgents } from "../../src/alerts/http.ts";
import type { AlertView } from "../../src/alerts/payload.ts";
import { startReceiver, type Receiver } from "./receiver.ts";

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await closeHttpAgents();
});

const ctx = { timeoutMs: 2000, print: () => {} };
const sentAt = new Date("2026-11-20T08:00:00.123Z");
const alert: AlertView = {
  id: 42,
  kind: "keyword",
  severity: "critical",
  ruleId: 7,
  watchlistId: 3,
  createdAt: "2026-11-20T07:59:59.000Z",
  title: "Keyword “泄露” on weibo for 喵记",
  app: "喵记",
  source: "weibo",
  matchedKeywords: ["泄露"],
  mention: {
    id: 9,
    url: "https://m.weibo.cn/status/1?a=1&b=(2)",
    author: "*bold* <@U123> @all",
    title: null,
    excerpt: "数据泄露了 <script>alert(1)</script> **[link](http://evil)** & <!channel> _x_ `code` # heading",
    rating: null,
    sentimentScore: -0.83,
    sentimentLabel: "negative",
    complaint: true,
    category: "privacy",
    publishedAt: "2026-11-20T07:50:00.000Z",
  },
};
const message: OutgoingMessage = { key: "42", type: "alert", alerts: [alert], sentAt };
const channel = (kind: ChannelConfig["kind"], target: string, extra: Partial<ChannelConfig> = {}): ChannelConfig => ({
  id: 1, name: kind, kind, target, settings: {}, secret: null, allowPrivateTargets: true, allowInsecure: true, ...extra,
});
const last = () => receiver.received.at(-1)!;

describe("channel wire formats", () => {
  it("signs the generic webhook over '<timestamp>.<body>' and sends the documented body", async () => {
    await webhookSender.send(channel("webhook", `${receiver.url}/hook`, { secret: "topsecret" }), message, ctx);
    const r = last();
    expect(r.method).toBe("POST");
    expect(r.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(r.headers["x-earshot-timestamp"]).toBe("1795161600");
    expect(r.headers["idempotency-key"]).toBe("42");
    const expected = createHmac("sha256", "topsecret").update(`1795161600.${r.body}`).digest("hex");
    expect(r.headers["x-earshot-signature"]).toBe(`sha256=${expected}`);
    expect(r.json).toEqual({ type: "alert", idempotencyKey: "42", sentAt: "2026-11-20T08:00:00.123Z", alerts: [alert] });
  });

  it("sends Slack blocks with mrkdwn-escaped text, so a post cannot ping the channel or fake a link", async () => {
    await slackSender.send(channel("slack", `${receiver.url}/services/T/B/X`), message, ctx);
    const body = last().json as { text: string; blocks: { type: string; text?: { type: string; text: string }; fields?: { text: string }[] }[] };
    expect(body.text).toBe("[CRITICAL] Keyword “泄露” on weibo for 喵记");
    expect(body.blocks[0]).toEqual({ type: "header", text: { type: "plain_text", text: "[CRITICAL] Keyword “泄露” on weibo for 喵记", emoji: true } });
    const all = JSON.stringify(body.blocks);
    expect(all).not.toContain("<!channel>");
    expect(all).not.toContain("<@U123>");
    const quote = body.blocks.find((b) => b.text?.text.startsWith(">"))!.text!.text;
    expect(quote).toBe(
      ">数据泄露了 &lt;script&gt;alert(1)&lt;/script&gt; **[link](http://evil)** &amp; &lt;!channel&gt; _x_ `code` # heading\n<https://m.weibo.cn/status/1?a=1&amp;b=(2)|Open>",
    );
    const fields = body.blocks.find((b) => b.fields)!.fields!.map((f) => f.text);
    expect(fields).toContain("*App*\n喵记");
    expect(fields).toContain("*Sentiment*\n-0.83 (negative)");
    expect(fields).toContain("*Keyword*\n泄露");
  });

  it("signs DingTalk in the query (timestamp in ms, URL-encoded base64 HMAC of 'timestamp\\nsecret') and sends markdown", async () => {
    expect(encodeURIComponent(dingtalkSign("secret", "1700000000000"))).toBe("OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D");
    receiver.answers.push({ body: '{"errcode":0,"errmsg":"ok"}' });
    await dingtalkSender.send(channel("dingtalk", `${receiver.url}/robot/send?access_token=tok123`, { secret: "SECabc" }), message, ctx);
    const r = last();
    const q = new URL(r.url, receiver.url).searchParams;
    expect(q.get("access_token")).toBe("tok123");
    expect(q.get("timestamp")).toBe(String(sentAt.getTime()));
    expect(q.get("sign")).toBe(createHmac("sha256", "SECabc").update(`${sentAt.getTime()}\nSECabc`).digest("base64"));
    expect(r.url).toContain(`sign=${encodeURIComponent(q.get("sign")!)}`);
    const body = r.json as { msgtype: string; markdown: { title: string; text: string } };
    expect(body.msgtype).toBe("markdown");
    expect(body.markdown.title).toBe("[CRITICAL] Keyword “泄露” on weibo for 喵记");
    expect(body.markdown.text).toContain("- **App**: 喵记");
    expect(body.markdown.text).toContain("&lt;script&gt;alert(1)&lt;/script&gt; \\*\\*\\[link\\](http://evil)\\*\\*");
    expect(body.markdown.text).toContain("@\u200dall");
    // Only what would start markup is escaped; ordinary punctuation reads as written.
    expect(escapeMarkdown("Crashes again. Why?! (v2.1) - fix it\n- item\n3. step #2")).toBe(
      "Crashes again. Why?! (v2.1) - fix it\n\\- item\n3\\. step #2",
    );
    expect(body.markdown.text).toContain("[Open](https://m.weibo.cn/status/1?a=1&b=%282%29)");
  });

  it("treats a DingTalk error code as a refusal, and its rate limit as worth retrying", async () => {
    receiver.answers.push({ body: '{"errcode":310000,"errmsg":"sign not match"}' });
    await expect(dingtalkSender.send(channel("dingtalk", `${receiver.url}/robot/send?access_token=tok123`), message, ctx)).rejects.toBeInstanceOf(UndeliverableError);
    receiver.answers.push({ body: '{"errcode":130101,"errmsg":"send too fast"}' });
    await expect(dingtalkSender.send(channel("dingtalk", `${receiver.url}/robot/send?access_token=tok123`), message, ctx)).rejects.toBeInstanceOf(RetryLaterError);
  });

  it("sends WeCom markdown content within its 4096-byte limit", async () => {
    receiver.answers.push({ body: '{"errcode":0,"errmsg":"ok"}' });
    const many: OutgoingMessage = { ...message, type: "digest", key: "digest-1-3-1795161600", alerts: Array.from({ length: 30 }, (_, i) => ({ ...alert, id: i + 1 })) };
    await wecomSender.send(channel("wecom", `${receiver.url}/cgi-bin/webhook/send?key=k`), many, ctx);
    const body = last().json as { msgtype: string; markdown: { content: string } };
    expect(body.msgtype).toBe("markdown");
    expect(Buffer.byteLength(body.markdown.content)).toBeLessThanOrEqual(4096);
    expect(body.markdown.content.startsWith("### 30 alerts for 喵记")).toBe(true);
    expect(body.markdown.content).toMatch(/and \d+ more$/);
  });

  it("signs Feishu in the body (timestamp in s, base64 HMAC keyed by 'timestamp\\nsecret' over nothing) and sends a card", async () => {
    receiver.answers.push({ body: '{"code":0,"msg":"success","data":{}}' });
    await feishuSender.send(channel("feishu", `${receiver.url}/open-apis/bot/v2/hook/abc`, { secret: "fs-secret" }), message, ctx);
    const body = last().json as { timestamp: string; sign: string; msg_type: string; card: { header: { template: string; title: { content: string } }; elements: { tag: string; text?: { content: string }; actions?: { url: string }[] }[] } };
    expect(body.timestamp).toBe("1795161600");
    expect(body.sign).toBe(createHmac("sha256", "1795161600\nfs-secret").update("").digest("base64"));
    expect(body.sign).toBe(feishuSign("fs-secret", "1795161600"));
    expect(body.msg_type).toBe("interactive");
    expect(body.card.header).toEqual({ template: "red", title: { tag: "plain_text", content: "[CRITICAL] Keyword “泄露” on weibo for 喵记" } });
    const md = body.card.elements[0]!.text!.content;
    expect(md).toContain("**Category**: privacy");
    expect(md).toContain("&#42;&#42;&#91;link&#93;&#40;http://evil&#41;&#42;&#42;");
    expect(body.card.elements[1]!.actions![0]!.url).toBe(alert.mention!.url);
  });

  it("sends Feishu plain text when the channel asks for text, with tags and links broken, and reads its error code", async () => {
    receiver.answers.push({ body: '{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}' });
    await expect(
      feishuSender.send(channel("feishu", `${receiver.url}/open-apis/bot/v2/hook/abc`, { settings: { format: "text" } }), message, ctx),
    ).rejects.toThrow(/19021/);
    const body = last().json as { msg_type: string; content: { text: string } };
    expect(body.msg_type).toBe("text");
    expect(body.content.text).toContain("> 数据泄露了 <\u200dscript>alert(1)<\u200d/script> **[link]\u200d(http://evil)**");
    expect(body.content.text).not.toMatch(/<[a-z/!@]/i);
  });

  it("never lets a post mention everyone in a Feishu text message", async () => {
    const injected: AlertView = {
      ...alert,
      mention: { ...alert.mention!, author: '<at user_id="all">所有人</at>', excerpt: '快看 <at user_id="all"></at><AT USER_ID="ou_1">x</AT> < at user_id="all">' },
    };
    receiver.answers.push({ body: '{"code":0,"msg":"success","data":{}}' });
    await feishuSender.send(channel("feishu", `${receiver.url}/open-apis/bot/v2/hook/abc`, { settings: { format: "text" } }), { ...message, alerts: [injected] }, ctx);
    const text = (last().json as { content: { text: string } }).content.text;
    expect(text).toContain("Author: <\u200dat user_id=\"all\">所有人<\u200d/at>");
    expect(text).not.toMatch(/<\s*at\b/i);
    expect(text).not.toMatch(/<\s*\/\s*at\s*>/i);
  });

  it("prints the console channel's message as plain text", async () => {
    const lines: string[] = [];
    await consoleSender.send(channel("console", "console"), message, { ...ctx, print: (l) => lines.push(l) });
    expect(lines[0]).toBe(
      [
        "[CRITICAL] Keyword “泄露” on weibo for 喵记",
        "App: 喵记",
        "Source: weibo",
        "Sentiment: -0.83 (negative)",
        "Category: privacy",
        "Author: *bold* <@U123> @all",
        "Keyword: 泄露",
        `> ${alert.mention!.excerpt}`,
        alert.mention!.url,
        "alert 42",
      ].join("\n"),
    );
  });
});

describe("email over SMTP", () => {
  let smtp: SMTPServer;
  let port: number;
  const mails: { from: string; to: string[]; user: string | undefined; data: string }[] = [];

  beforeAll(async () => {
    smtp = new SMTPServer({
      disabledCommands: ["STARTTLS"],
      authOptional: true,
      allowInsecureAuth: true,
      onAuth(auth, _session, cb) {
        if (auth.username === "alerts" && auth.password === "mail-pass") cb(null, { user: auth.username });
        else cb(new Error("bad credentials"));
      },
      onData(stream, session, cb) {
        let data = "";
        stream.on("data", (c: Buffer) => (data += c.toString()));
        stream.on("end", () => {
          mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "", to: session.envelope.rcptTo.map((r) => r.address), user: session.user as string | undefined, data });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    port = (smtp.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

  it("sends plain and HTML parts, escaped, with the idempotency key, after logging in with the stored secret", async () => {
    const ch = channel("email", `smtp://alerts@127.0.0.1:${port}`, { secret: "mail-pass", settings: { from: "earshot@example.com", to: ["ops@example.com", "pm@example.com"] } });
    const { status } = await emailSender.send(ch, message, ctx);
    expect(status).toBe(250);
    const m = mails.at(-1)!;
    expect(m.user).toBe("alerts");
    expect(m.from).toBe("earshot@example.com");
    expect(m.to).toEqual(["ops@example.com", "pm@example.com"]);
    const unfolded = m.data.replace(/\r\n[ \t]/g, " ");
    expect(unfolded).toMatch(/^Subject: =\?UTF-8\?/m);
    expect(unfolded).toMatch(/^X-Earshot-Idempotency-Key: 42$/m);
    expect(unfolded).toMatch(/^Message-ID: <earshot-42@earshot\.alerts>$/m);
    expect(unfolded).toContain("Content-Type: text/plain");
    expect(unfolded).toContain("Content-Type: text/html");
    const html = decodeQuotedPrintable(m.data.split("Content-Type: text/html")[1]!);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>");
    expect(html).toContain('<a href="https://m.weibo.cn/status/1?a=1&amp;b=(2)">');
  });

  it("calls refused credentials undeliverable, and never shows the password in the error", async () => {
    const ch = channel("email", `smtp://alerts@127.0.0.1:${port}`, { secret: "wrong-pass", settings: { from: "earshot@example.com", to: ["ops@example.com"] } });
    const err = await emailSender.send(ch, message, ctx).catch((e: Error) => e);
    expect(err).toBeInstanceOf(UndeliverableError);
    expect((err as Error).message).not.toContain("wrong-pass");
  });
});

function decodeQuotedPrintable(s: string): string {
  const bytes = s.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8");
}
