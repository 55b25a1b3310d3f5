import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  at: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
}

export interface Answer {
  status?: number;
  body?: string;
  /** Wait this long before answering (a slow receiver, or a timeout). */
  delayMs?: number;
}

/**
 * A local stand-in for every channel's receiver: records each request, answers 200 (or what
 * `answers` says, one per request, then 200), and can go down and come back on the same port.
 */
export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Answers for the next requests, in order. */
  answers: Answer[];
  /** The default answer once `answers` is used up. */
  fallback: Answer;
  onRequest?: (r: Received) => void;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<Receiver> {
  let server: Server | null = null;
  const r: Receiver = {
    url: "",
    port,
    received: [],
    answers: [],
    fallback: { status: 200, body: "ok" },
    async down() {
      const s = server;
      server = null;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async up() {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          let json: unknown = null;
          try {
            json = JSON.parse(body);
          } catch {
            /* not JSON */
          }
          const rec: Received = { at: Date.now(), method: req.method ?? "", url: req.url ?? "", headers: req.headers, body, json };
          r.received.push(rec);
          r.onRequest?.(rec);
          const a = r.answers.shift() ?? r.fallback;
          const send = () => {
            if (res.destroyed) return;
            res.writeHead(a.status ?? 200, { "content-type": "application/json" });
            res.end(a.body ?? "ok");
          };
          if (a.delayMs) setTimeout(send, a.delayMs).unref();
          else send();
        });
      });
      server.keepAliveTimeout = 1000;
      await new Promise<void>((resolve) => server!.listen(r.port, "127.0.0.1", resolve));
      r.port = (server.address() as AddressInfo).port;
      r.url = `http://127.0.0.1:${r.port}`;
    },
    close() {
      return r.down();
    },
  };
  await r.up();
  return r;
}
