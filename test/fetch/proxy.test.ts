import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BlockedError } from "../../src/errors.ts";
import { deleteKeys, makeFetcher, rejection, startServer, uniquePrefix, type TestServer } from "./support.ts";

const prefix = uniquePrefix();
let site: TestServer;
let wall: TestServer;
const proxies: { url: string; tunnels: number; close(): Promise<void> }[] = [];

/**
 * A CONNECT proxy. A "blocked" proxy tunnels every request to the wall server (a site that
 * answers 432 to that exit address); a clean one tunnels to the requested host.
 */
async function startProxy(blocked: boolean) {
  const server = http.createServer((_req, res) => res.writeHead(501).end());
  const state = { tunnels: 0 };
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    state.tunnels++;
    const [host, port] = blocked ? ["127.0.0.1", wall.port] : req.url!.split(":");
    const upstream = net.connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxy = {
    url: `http://user:PROXYSECRET@127.0.0.1:${(server.address() as AddressInfo).port}`,
    get tunnels() {
      return state.tunnels;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  proxies.push(proxy);
  return proxy;
}

beforeAll(async () => {
  site = await startServer();
  site.route("/page", (_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("content"));
  wall = await startServer();
  wall.route("/page", (_req, res) => res.writeHead(432).end());
});
afterAll(async () => {
  await Promise.all([site.close(), wall.close(), ...proxies.map((p) => p.close())]);
  await deleteKeys(prefix);
});

it("rotates to the next proxy when a site blocks the current one, and stays on it", async () => {
  const bad = await startProxy(true);
  const good = await startProxy(false);
  const h = makeFetcher(prefix, { EARSHOT_PROXIES_ROTATING: `${bad.url},${good.url}`, EARSHOT_ROBOTS_IGNORE: "rotating" });
  try {
    const first = await h.fetcher.fetch({ url: `${site.origin}/page`, source: "rotating" });
    expect(first.body).toBe("content");
    expect(first.retries).toBe(1);
    const second = await h.fetcher.fetch({ url: `${site.origin}/page`, source: "rotating" });
    expect(second.retries).toBe(0);
    expect(wall.hits).toHaveLength(1);
    expect(site.hits).toHaveLength(2);
  } finally {
    await h.close();
  }
});

it("reports a block once every proxy is blocked, without the proxy's credentials", async () => {
  const a = await startProxy(true);
  const b = await startProxy(true);
  const h = makeFetcher(prefix, { EARSHOT_PROXIES_ALLBAD: `${a.url},${b.url}`, EARSHOT_ROBOTS_IGNORE: "allbad" });
  try {
    const err = await rejection(h.fetcher.fetch({ url: `${site.origin}/page`, source: "allbad" }));
    expect(err).toBeInstanceOf(BlockedError);
    expect((err as BlockedError).details.status).toBe(432);
    expect((err as BlockedError).details.advice).toMatch(/add fresh proxies to EARSHOT_PROXIES_ALLBAD \(every configured proxy was tried\)/);
    expect(err.message).toMatch(/via proxy http:\/\/127\.0\.0\.1:\d+/);
    expect(`${err.message} ${JSON.stringify((err as BlockedError).details)}`).not.toMatch(/PROXYSECRET|user:/);
    expect(a.tunnels + b.tunnels).toBeGreaterThanOrEqual(2);
  } finally {
    await h.close();
  }
});

it("uses HTTPS_PROXY for sources without a list, except for NO_PROXY hosts", async () => {
  const p = await startProxy(false);
  const h = makeFetcher(prefix, { HTTPS_PROXY: p.url, EARSHOT_ROBOTS_IGNORE: "plain" });
  const direct = makeFetcher(prefix, { HTTPS_PROXY: p.url, NO_PROXY: "localhost,.example.com", EARSHOT_ROBOTS_IGNORE: "plain" });
  try {
    await h.fetcher.fetch({ url: `${site.origin}/page`, source: "plain" });
    expect(p.tunnels).toBe(1);
    await direct.fetcher.fetch({ url: `http://localhost:${site.port}/page`, source: "plain" });
    expect(p.tunnels).toBe(1);
  } finally {
    await Promise.all([h.close(), direct.close()]);
  }
});
