import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import iconv from "iconv-lite";
import { appstoreRoutes, withoutFeedEntries } from "./appstore.ts";
import { googleplayRoutes } from "./googleplay.ts";
import { taptapRoutes } from "./taptap.ts";
import { discourseRoutes } from "./discourse.ts";
import { forumRoutes } from "./forum.ts";
import { tiebaRoutes } from "./tieba.ts";
import { weiboRoutes } from "./weibo.ts";
import type { SandboxApp } from "./data.ts";

/**
 * A local stand-in for the real sites: each site's routes answer on the real paths and query
 * parameters, in the real formats. Tests and the demo point every source's base URL here.
 * Knobs (in process, or as JSON over `/__sandbox/*`) inject the failures real sites produce.
 */

export interface SandboxRequest {
  method: string;
  url: URL;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface SandboxReply {
  status: number;
  json?: unknown;
  body?: string | Buffer;
  headers?: Record<string, string>;
}

export interface SandboxState {
  /** Items added per feed since start ("appstore:<trackId>:<cc>" → count). */
  growth: Map<string, number>;
  /** The sandbox's notion of now (fixed at start, so dates are stable within a run). */
  now: number;
  /** Apps added with `addApp`, talked about on the social sites besides the two built-in ones. */
  apps: SandboxApp[];
}

/** One site's routes: answer the request, or null when it is not this site's. */
export type SandboxRoute = (req: SandboxRequest, state: SandboxState) => SandboxReply | null;

export interface SandboxFault {
  /** Applies to requests whose path and query contain this text. */
  match: string;
  /** Answer with this status instead of the site's answer. */
  status?: number;
  /** Headers to add, e.g. { "Retry-After": "2" }. */
  headers?: Record<string, string>;
  /** Body to answer with instead of the site's (a captcha page, malformed JSON). */
  body?: string;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Send only half the body, then cut the connection. */
  truncate?: boolean;
  /** Send half the body, wait this long, then the rest (a slow body). */
  stallMs?: number;
  /** Pad the answer with trailing spaces to this many bytes (a huge body; JSON stays valid). */
  bodyBytes?: number;
  /** App Store feed: serve the page without its entries but with its links (the JSON feed's empty pages mid-list). */
  noEntries?: boolean;
  /** Encode the answer in this charset (e.g. "gbk") and say so in Content-Type. */
  charset?: string;
  /** Apply to this many requests, then expire. @default unlimited */
  times?: number;
}

export interface SandboxRequestRecord {
  method: string;
  path: string;
  /** 0 until the answer is sent. */
  status: number;
  /** When the request arrived. */
  at: number;
}

const routes: SandboxRoute[] = [appstoreRoutes, googleplayRoutes, taptapRoutes, weiboRoutes, discourseRoutes, forumRoutes, tiebaRoutes];

export interface Sandbox {
  /** Base URL, e.g. http://127.0.0.1:43117 (no trailing slash). */
  url: string;
  state: SandboxState;
  /** Every request answered, in order. */
  requests: SandboxRequestRecord[];
  /** Makes `n` newer items appear at the top of a feed ("appstore:<trackId>:<cc>"). */
  grow(feed: string, n: number): void;
  /**
   * Makes the social sites (Weibo, Tieba and its 吧, Discourse, forums) talk about one more app,
   * named `name`: its feeds ("weibo:<name>") hold generated posts of their own, as the built-in
   * apps' do. For benchmarks that need many apps with feeds apart.
   */
  addApp(name: string): void;
  fail(fault: SandboxFault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

export interface SandboxOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** @default the start of the current hour */
  now?: number;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const state: SandboxState = { growth: new Map(), now: options.now ?? Math.floor(Date.now() / 3600_000) * 3600_000, apps: [] };
  const faults: (SandboxFault & { used: number })[] = [];
  const requests: SandboxRequestRecord[] = [];

  const sandbox: Omit<Sandbox, "url" | "close"> = {
    state,
    requests,
    grow(feed, n) {
      state.growth.set(feed, (state.growth.get(feed) ?? 0) + n);
    },
    addApp(name) {
      if (state.apps.some((a) => a.names.includes(name))) return;
      state.apps.push({ trackId: `social-${name}`, names: [name], bundleId: name, playPackage: name, serial: state.apps.length + 1 });
    },
    fail(fault) {
      faults.push({ ...fault, used: 0 });
    },
    clearFaults() {
      faults.length = 0;
    },
  };

  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "http://sandbox");
    const request: SandboxRequest = { method: req.method ?? "GET", url, headers: req.headers, body };
    if (url.pathname.startsWith("/__sandbox/")) return control(request, res, sandbox);

    const pathAndQuery = url.pathname + url.search;
    // Recorded on arrival, so a test can see a request the sandbox is still holding back.
    const record: SandboxRequestRecord = { method: request.method, path: pathAndQuery, status: 0, at: Date.now() };
    requests.push(record);
    const fault = faults.find((f) => decodeURIComponent(pathAndQuery).includes(f.match) && f.used < (f.times ?? Infinity));
    if (fault) fault.used++;
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));

    let reply: SandboxReply | null = null;
    for (const route of routes) {
      reply = route(request, state);
      if (reply) break;
    }
    reply ??= { status: 404, json: { error: "not found in sandbox" } };
    if (fault?.status !== undefined) reply = { status: fault.status, body: fault.body ?? "" };
    else if (fault?.body !== undefined) reply = { ...reply, json: undefined, body: fault.body };
    if (fault?.noEntries) reply = withoutFeedEntries(reply);

    let payload: Buffer = reply.json !== undefined ? Buffer.from(JSON.stringify(reply.json)) : Buffer.from(reply.body ?? "");
    const headers: Record<string, string> = {
      "content-type": reply.json !== undefined ? "application/json; charset=utf-8" : "text/html; charset=utf-8",
      ...reply.headers,
      ...fault?.headers,
    };
    if (fault?.charset) {
      payload = iconv.encode(payload.toString("utf8"), fault.charset);
      headers["content-type"] = headers["content-type"]!.replace(/;\s*charset=[^;]*/i, "") + `; charset=${fault.charset}`;
    }
    if (fault?.bodyBytes && fault.bodyBytes > payload.length) {
      payload = Buffer.concat([payload, Buffer.alloc(fault.bodyBytes - payload.length, 0x20)]);
    }
    headers["content-length"] = String(payload.length);
    record.status = reply.status;
    res.writeHead(reply.status, headers);
    if (fault?.truncate) {
      res.write(payload.subarray(0, Math.floor(payload.length / 2)));
      res.socket?.destroy();
      return;
    }
    if (fault?.stallMs) {
      const half = Math.floor(payload.length / 2);
      res.write(payload.subarray(0, half));
      await new Promise((r) => setTimeout(r, fault.stallMs));
      if (!res.destroyed) res.end(payload.subarray(half));
      return;
    }
    res.end(payload);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    ...sandbox,
    url: `http://${address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** The knobs over HTTP, for a sandbox run on its own (`earshot sandbox`). */
function control(req: SandboxRequest, res: ServerResponse, sandbox: Omit<Sandbox, "url" | "close">) {
  const send = (status: number, json: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(json));
  };
  try {
    const input = req.body ? (JSON.parse(req.body) as Record<string, unknown>) : {};
    switch (req.url.pathname) {
      case "/__sandbox/fail":
        sandbox.fail(input as unknown as SandboxFault);
        return send(200, { ok: true });
      case "/__sandbox/clear":
        sandbox.clearFaults();
        return send(200, { ok: true });
      case "/__sandbox/grow":
        sandbox.grow(String(input.feed), Number(input.n ?? 1));
        return send(200, { ok: true });
      case "/__sandbox/requests":
        return send(200, sandbox.requests);
      default:
        return send(404, { error: "unknown sandbox control" });
    }
  } catch (err) {
    return send(400, { error: (err as Error).message });
  }
}
