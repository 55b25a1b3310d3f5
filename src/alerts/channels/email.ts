import nodemailer from "nodemailer";
import { UsageError } from "../../errors.ts";
import { escapeHtml, oneLine } from "../escape.ts";
import { facts, headline, messageTitle, plainText, quotes } from "../message.ts";
import { checkTargetUrl, redactSecrets, resolvePublic, UnsafeTargetError } from "../safety.ts";
import { RetryLaterError, UndeliverableError, type ChannelSender, type OutgoingMessage } from "./types.ts";

const address = /^[^\s@<>]+@[^\s@<>]+$/;

/** The HTML part: every scraped string escaped, links as anchors. */
export function emailHtml(m: OutgoingMessage): string {
  const parts: string[] = [`<h2>${escapeHtml(oneLine(messageTitle(m)))}</h2>`];
  if (m.type === "test") parts.push("<p>This channel works: earshot alerts will arrive here.</p>");
  for (const a of m.alerts) {
    if (m.alerts.length > 1 || m.type === "digest") parts.push(`<h3>${escapeHtml(oneLine(headline(a)))}</h3>`);
    const rows = facts(a).map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(oneLine(v))}</td></tr>`);
    if (rows.length) parts.push(`<table>${rows.join("")}</table>`);
    for (const q of quotes(a)) {
      parts.push(`<blockquote>${escapeHtml(oneLine(q.text))}</blockquote>`);
      if (q.url) parts.push(`<p><a href="${escapeHtml(q.url)}">${escapeHtml(q.url)}</a></p>`);
    }
    parts.push(`<p style="color:#888">alert ${a.id}</p>`);
  }
  return `<!doctype html><html><body>${parts.join("\n")}</body></html>`;
}

/**
 * Email over SMTP. Target smtps://user@host:465 (TLS) or smtp://user@host:587 (STARTTLS required
 * unless allowInsecure); the password is the channel secret; settings hold from and to.
 */
export const emailSender: ChannelSender = {
  kind: "email",
  schemes: ["smtp"],
  parseSettings(settings) {
    const to = (Array.isArray(settings.to) ? settings.to : String(settings.to ?? "").split(",")).map((s) => String(s).trim()).filter(Boolean);
    const from = String(settings.from ?? "").trim();
    if (to.length === 0) throw new UsageError("to: give at least one recipient address");
    for (const t of to) if (!address.test(t)) throw new UsageError(`to: "${t}" is not an email address`);
    if (!address.test(from.replace(/^.*<(.+)>$/, "$1"))) throw new UsageError(`from: "${from}" is not an email address`);
    return { to, from };
  },
  async send(channel, message, ctx) {
    const clean = (msg: string) => redactSecrets(msg, channel.target, [channel.secret]);
    let u: URL;
    let ip: string;
    try {
      u = checkTargetUrl(channel.target, channel, ["smtp"]);
      // Connect to the address just checked (not the name again), so DNS cannot be rebound in between.
      ip = (await resolvePublic(u.hostname.replace(/^\[|\]$/g, ""), channel))[0]!.address;
    } catch (err) {
      if (err instanceof UnsafeTargetError) throw new UndeliverableError(clean(err.message));
      throw err;
    }
    const secure = u.protocol === "smtps:";
    const transport = nodemailer.createTransport({
      host: ip,
      port: Number(u.port) || (secure ? 465 : 587),
      secure,
      requireTLS: !secure && !channel.allowInsecure,
      ignoreTLS: !secure && channel.allowInsecure,
      tls: { servername: u.hostname },
      ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: channel.secret ?? "" } } : {}),
      connectionTimeout: ctx.timeoutMs,
      greetingTimeout: ctx.timeoutMs,
      socketTimeout: ctx.timeoutMs,
    });
    try {
      const info = await transport.sendMail({
        from: String(channel.settings.from),
        to: channel.settings.to as string[],
        subject: oneLine(messageTitle(message)).slice(0, 200),
        text: plainText(message),
        html: emailHtml(message),
        messageId: `<earshot-${message.key}@earshot.alerts>`,
        headers: { "X-Earshot-Idempotency-Key": message.key },
      });
      const code = Number(/^(\d{3})/.exec(String(info.response ?? ""))?.[1] ?? 250);
      return { status: code };
    } catch (err) {
      const e = err as Error & { responseCode?: number; code?: string };
      const what = clean(`${e.code ?? "SMTP"}: ${e.message}`);
      // 5xx replies and refused credentials will not change by themselves; 4xx and lost connections may.
      if ((e.responseCode && e.responseCode >= 500) || e.code === "EAUTH" || e.code === "EENVELOPE") throw new UndeliverableError(what, e.responseCode ?? null);
      throw new RetryLaterError(what, e.responseCode ?? null);
    } finally {
      transport.close();
    }
  },
};
