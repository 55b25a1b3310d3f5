import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Sql } from "../db/client.ts";
import { truncate } from "../cli/table.ts";
import type { AlertView } from "./payload.ts";
import { addChannel, addRule } from "./repo.ts";

const CHANNEL = "demo receiver";
const WORDS = ["闪退", "crash", "泄露", "诈骗", "封号", "退款", "refund", "data breach", "lawsuit"];

export interface DemoReceiver {
  url: string;
  secret: string;
  /** Alerts received, signature checked. */
  alerts: AlertView[];
  /** Requests whose signature did not verify (should stay 0). */
  badSignatures: number;
  close(): Promise<void>;
}

/** A local webhook receiver for the demo: verifies X-Earshot-Signature and keeps what arrived. */
export async function startDemoReceiver(): Promise<DemoReceiver> {
  const secret = randomBytes(16).toString("hex");
  const r: Omit<DemoReceiver, "url" | "close"> = { secret, alerts: [], badSignatures: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const ts = String(req.headers["x-earshot-timestamp"] ?? "");
      const got = Buffer.from(String(req.headers["x-earshot-signature"] ?? ""));
      const want = Buffer.from(`sha256=${createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex")}`);
      if (got.length !== want.length || !timingSafeEqual(got, want)) {
        r.badSignatures++;
        res.writeHead(401).end();
        return;
      }
      r.alerts.push(...(JSON.parse(body) as { alerts: AlertView[] }).alerts);
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(r, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/earshot`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as DemoReceiver;
}

/**
 * The demo's alert setup: a webhook channel at the local receiver (allowPrivateTargets, since it
 * is on this machine), and per watchlist a low-rating (≤ 2 stars) and a keyword rule.
 */
export async function seedDemoAlerts(sql: Sql, receiver: Pick<DemoReceiver, "url" | "secret">): Promise<void> {
  const [existing] = await sql<{ id: number }[]>`select id from channels where name = ${CHANNEL}`;
  let channelId: number;
  if (existing) {
    // The receiver's port and secret change from run to run.
    await sql`update channels set target = ${receiver.url}, secret = ${receiver.secret}, updated_at = now() where id = ${existing.id}`;
    channelId = existing.id;
  } else {
    channelId = (await addChannel(sql, { name: CHANNEL, kind: "webhook", target: receiver.url, secret: receiver.secret, allowPrivateTargets: true, allowInsecure: true, by: "demo" })).id;
  }
  const watchlists = await sql<{ id: number }[]>`select id from watchlists order by id`;
  for (const w of watchlists) {
    const kinds = new Set((await sql<{ kind: string }[]>`select kind from alert_rules where watchlist_id = ${w.id}`).map((r) => r.kind));
    if (!kinds.has("low_rating")) await addRule(sql, { kind: "low_rating", watchlistId: w.id, params: { maxRating: 2 }, channelIds: [channelId], by: "demo" });
    if (!kinds.has("keyword")) await addRule(sql, { kind: "keyword", watchlistId: w.id, params: { words: WORDS }, channelIds: [channelId], by: "demo" });
  }
}

/** Waits (up to a limit) until no delivery of the demo is pending. */
export async function settleDeliveries(sql: Sql, stallMs = 20_000): Promise<number> {
  // Waits as long as deliveries keep going out (a busy machine sends 1,000 alerts slowly), and
  // gives up only when none has left for `stallMs`.
  let last = Number.POSITIVE_INFINITY;
  let progressAt = Date.now();
  for (;;) {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from deliveries where state = 'pending' and digest_until is null`;
    const pending = row!.n;
    if (pending < last) [last, progressAt] = [pending, Date.now()];
    if (pending === 0 || Date.now() - progressAt > stallMs) return pending;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A few lines about what arrived, for the demo's output. */
export function describeReceived(receiver: DemoReceiver, shown = 8): string[] {
  const lines = [`alerts:   ${receiver.alerts.length} arrived at the local webhook receiver (signatures verified${receiver.badSignatures ? `; ${receiver.badSignatures} did NOT verify` : ""})`];
  for (const a of receiver.alerts.slice(0, shown)) {
    const text = a.mention ? ` — ${a.mention.excerpt}` : "";
    lines.push(`  #${a.id} [${a.severity}] ${truncate(`${a.title}${text}`, 110)}`);
  }
  if (receiver.alerts.length > shown) lines.push(`  … and ${receiver.alerts.length - shown} more (earshot alerts list)`);
  return lines;
}
