/**
 * One HTTP exchange over undici's keep-alive pools: no redirects, no retries, no politeness
 * (the fetcher adds those). The body is streamed through a byte counter and refused past the
 * cap, so a huge or endless answer never sits in memory.
 */
import { pipeline, type Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { Agent, ProxyAgent, request, type Dispatcher } from "undici";
import { ResponseTooLargeError } from "../errors.ts";
import { redactUrl } from "./redact.ts";

export interface TransportOptions {
  /** Longest wait for a connection (TCP and TLS). */
  connectTimeoutMs: number;
  /** Longest wait for headers, and longest silence while the body streams. */
  timeoutMs: number;
  /** Idle keep-alive connections are closed after this long. @default 30000 */
  keepAliveMs?: number;
  /** Connections per origin (politeness usually allows fewer requests than this). @default 8 */
  connectionsPerOrigin?: number;
}

export interface HopRequest {
  url: URL;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  /** A proxy URL, or null to connect directly. */
  proxy: string | null;
  signal: AbortSignal;
  maxBytes: number;
  /** Skip reading the body (redirects): the connection is drained up to a small limit. */
  discardBody?: boolean;
  /** Past maxBytes, keep the first maxBytes instead of failing (robots.txt). */
  truncate?: boolean;
}

export interface HopResponse {
  status: number;
  /** Header values joined with ", "; Set-Cookie is left out (see setCookies). */
  headers: Record<string, string>;
  setCookies: string[];
  /** The body after Content-Encoding was undone. */
  body: Buffer;
}

/** Keep-alive dispatchers, one for direct connections and one per proxy. */
export class Transport {
  private readonly direct: Agent;
  private readonly viaProxy = new Map<string, ProxyAgent>();
  private readonly agentOptions: Agent.Options;

  constructor(options: TransportOptions) {
    this.agentOptions = {
      keepAliveTimeout: options.keepAliveMs ?? 30_000,
      keepAliveMaxTimeout: 10 * 60_000,
      connections: options.connectionsPerOrigin ?? 8,
      connect: { timeout: options.connectTimeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    };
    this.direct = new Agent(this.agentOptions);
  }

  dispatcher(proxy: string | null): Dispatcher {
    if (!proxy) return this.direct;
    let agent = this.viaProxy.get(proxy);
    if (!agent) {
      agent = new ProxyAgent({ ...this.agentOptions, uri: proxy });
      this.viaProxy.set(proxy, agent);
    }
    return agent;
  }

  /** Sends one request and reads its answer, refusing bodies larger than `maxBytes`. */
  async send(req: HopRequest): Promise<HopResponse> {
    const res = await request(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      dispatcher: this.dispatcher(req.proxy),
      signal: req.signal,
    });
    const headers: Record<string, string> = {};
    let setCookies: string[] = [];
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      if (name === "set-cookie") setCookies = Array.isArray(value) ? value : [value];
      else headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    if (req.discardBody) {
      // Draining a little lets the connection be reused; past that, closing it is cheaper.
      await res.body.dump({ limit: 64 * 1024 }).catch(() => {});
      return { status: res.statusCode, headers, setCookies, body: Buffer.alloc(0) };
    }
    const declared = Number(headers["content-length"]);
    if (!req.truncate && !headers["content-encoding"] && declared > req.maxBytes) {
      res.body.destroy();
      throw tooLarge(req.url, req.maxBytes, declared);
    }
    const stream = decoded(res.body, headers["content-encoding"]);
    const body = await readCapped(stream, req.url, req.maxBytes, req.truncate ?? false);
    return { status: res.statusCode, headers, setCookies, body };
  }

  async close(): Promise<void> {
    await Promise.all([this.direct.close(), ...[...this.viaProxy.values()].map((a) => a.close())]);
  }
}

/** The body stream with gzip, deflate or br undone (other codings are passed through). */
function decoded(body: Readable, encoding: string | undefined): Readable {
  const coding = encoding?.trim().toLowerCase();
  const decoder =
    coding === "gzip" || coding === "x-gzip"
      ? createGunzip()
      : coding === "deflate"
        ? createInflate()
        : coding === "br"
          ? createBrotliDecompress()
          : null;
  if (!decoder) return body;
  // pipeline() destroys both streams on error, so a cut connection surfaces while iterating.
  return pipeline(body, decoder, () => {});
}

async function readCapped(stream: Readable, url: URL, maxBytes: number, truncate: boolean): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (total + chunk.byteLength > maxBytes) {
      stream.destroy();
      if (!truncate) throw tooLarge(url, maxBytes);
      chunks.push(chunk.subarray(0, maxBytes - total));
      total = maxBytes;
      break;
    }
    total += chunk.byteLength;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

function tooLarge(url: URL, maxBytes: number, declared?: number): ResponseTooLargeError {
  const size = declared ? `${declared} bytes` : `more than ${maxBytes} bytes`;
  return new ResponseTooLargeError(
    `The response from ${redactUrl(url.toString())} is ${size}, over the ${maxBytes}-byte limit; ` +
      `reading stopped there. If pages this large are expected, raise EARSHOT_MAX_RESPONSE_BYTES.`,
    { url: redactUrl(url.toString()), limitBytes: maxBytes },
  );
}
