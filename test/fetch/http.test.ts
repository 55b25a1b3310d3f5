import { gzipSync } from "node:zlib";
import iconv from "iconv-lite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BlockedError,
  RateLimitedError,
  RedirectError,
  ResponseTooLargeError,
  TransientFetchError,
  UsageError,
} from "../../src/errors.ts";
import { wallRedirectReason } from "../../src/fetch/block.ts";
import type { FetchLogEntry } from "../../src/fetch/types.ts";
import { deleteKeys, makeFetcher, rejection, startServer, uniquePrefix, type FetcherHarness, type TestServer } from "./support.ts";

const prefix = uniquePrefix();
let server: TestServer;
let h: FetcherHarness;

beforeAll(async () => {
  server = await startServer();
  h = makeFetcher(prefix, { EARSHOT_MAX_RESPONSE_BYTES: String(256 * 1024), EARSHOT_COOKIE_SITE: "SUB=CONFIGSECRET" });
});
afterAll(async () => {
  await h.close();
  await server.close();
  await deleteKeys(prefix);
});

const hitsOf = (path: string) => server.hits.filter((x) => x.path === path);
const get = (path: string, log?: (e: FetchLogEntry) => void) =>
  h.fetcher.fetch({ url: `${server.origin}${path}`, source: "site" }, log ? { log } : {});

describe("retries", () => {
  it("retries a 500 and returns the answer that follows", async () => {
    let n = 0;
    server.route("/flaky", (_req, res) => {
      if (n++ === 0) res.writeHead(500).end("oops");
      else res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end("fine");
    });
    const log: FetchLogEntry[] = [];
    const res = await get("/flaky", (e) => log.push(e));
    expect(res.body).toBe("fine");
    expect(res.retries).toBe(1);
    expect(hitsOf("/flaky")).toHaveLength(2);
    expect(log).toEqual([expect.objectContaining({ status: 200, bytes: 4, retries: 1, error: null })]);
  });

  it("gives up on a lasting 502 with TransientFetchError after the configured retries", async () => {
    server.route("/down", (_req, res) => res.writeHead(502).end());
    const log: FetchLogEntry[] = [];
    const err = await rejection(get("/down", (e) => log.push(e)));
    expect(err).toBeInstanceOf(TransientFetchError);
    expect(err.message).toMatch(/failed 3 times \(last: HTTP 502\)/);
    expect((err as TransientFetchError).details.status).toBe(502);
    expect(hitsOf("/down")).toHaveLength(3);
    expect(log).toEqual([expect.objectContaining({ status: 502, retries: 2, error: expect.stringMatching(/^TransientFetchError/) })]);
  });

  it("retries a truncated body (Content-Length larger than what is sent), then gives up", async () => {
    server.route("/truncated", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain", "content-length": "1000" });
      res.write("only ten b");
      setTimeout(() => res.destroy(), 20);
    });
    const err = await rejection(get("/truncated"));
    expect(err).toBeInstanceOf(TransientFetchError);
    expect(err.message).toMatch(/closed before the response was complete/);
    expect(hitsOf("/truncated")).toHaveLength(3);
  });

  it("times out waiting for headers, and says which setting to raise", async () => {
    server.route("/silent", () => {});
    const harness = makeFetcher(prefix, { EARSHOT_HTTP_RETRIES: "1", EARSHOT_HTTP_TIMEOUT: "300ms" });
    try {
      const started = performance.now();
      const err = await rejection(harness.fetcher.fetch({ url: `${server.origin}/silent`, source: "site" }));
      expect(err).toBeInstanceOf(TransientFetchError);
      expect(err.message).toMatch(/failed 2 times \(last: no response headers within 300ms \(EARSHOT_HTTP_TIMEOUT\)\)/);
      expect(performance.now() - started).toBeGreaterThan(590);
      expect(hitsOf("/silent")).toHaveLength(2);
    } finally {
      await harness.close();
    }
  });

  it("times out a body that stalls", async () => {
    server.route("/stall", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("a little, then nothing");
    });
    const harness = makeFetcher(prefix, { EARSHOT_HTTP_RETRIES: "0", EARSHOT_HTTP_TIMEOUT: "300ms" });
    try {
      const err = await rejection(harness.fetcher.fetch({ url: `${server.origin}/stall`, source: "site" }));
      expect(err).toBeInstanceOf(TransientFetchError);
      expect(err.message).toMatch(/body stalled/);
    } finally {
      await harness.close();
    }
  });

  it("bounds a whole request that trickles forever (total timeout)", async () => {
    server.route("/trickle", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      const timer = setInterval(() => res.write("."), 50);
      res.on("close", () => clearInterval(timer));
    });
    const harness = makeFetcher(prefix, { EARSHOT_HTTP_RETRIES: "0", EARSHOT_HTTP_TOTAL_TIMEOUT: "400ms" });
    try {
      const err = await rejection(harness.fetcher.fetch({ url: `${server.origin}/trickle`, source: "site" }));
      expect(err).toBeInstanceOf(TransientFetchError);
      expect(err.message).toMatch(/longer than 400ms in all \(EARSHOT_HTTP_TOTAL_TIMEOUT\)/);
    } finally {
      await harness.close();
    }
  });

  it("reports a refused connection as transient", async () => {
    const err = await rejection(h.fetcher.fetch({ url: "http://127.0.0.1:1/x", source: "site" }));
    expect(err).toBeInstanceOf(TransientFetchError);
    expect(err.message).toMatch(/robots\.txt could not be reached|connection was refused/);
  });

  it("stops at once when the caller aborts", async () => {
    const controller = new AbortController();
    server.route("/slow", (_req, res) => {
      controller.abort(new Error("run cancelled"));
      setTimeout(() => res.writeHead(200).end("late"), 500);
    });
    const err = await rejection(h.fetcher.fetch({ url: `${server.origin}/slow`, source: "site" }, { signal: controller.signal }));
    expect(err.message).toBe("run cancelled");
    expect(hitsOf("/slow")).toHaveLength(1);
  });

  it("refuses a URL that is not http(s)", async () => {
    expect(await rejection(h.fetcher.fetch({ url: "ftp://example.com/x", source: "site" }))).toBeInstanceOf(UsageError);
  });
});

describe("Retry-After", () => {
  it("sleeps a short Retry-After in seconds, then retries", async () => {
    let n = 0;
    server.route("/ra-seconds", (_req, res) => {
      if (n++ === 0) res.writeHead(429, { "retry-after": "1" }).end();
      else res.writeHead(200).end("ok");
    });
    const started = performance.now();
    const res = await get("/ra-seconds");
    expect(res.status).toBe(200);
    expect(res.retries).toBe(1);
    const hits = hitsOf("/ra-seconds");
    expect(hits[1]!.at - hits[0]!.at).toBeGreaterThanOrEqual(950);
    expect(performance.now() - started).toBeLessThan(2500);
  });

  it("sleeps a short Retry-After given as an HTTP date (503)", async () => {
    let n = 0;
    server.route("/ra-date", (_req, res) => {
      const at = new Date(Date.now() + 2000).toUTCString();
      if (n++ === 0) res.writeHead(503, { "retry-after": at }).end();
      else res.writeHead(200).end("ok");
    });
    const res = await get("/ra-date");
    expect(res.status).toBe(200);
    const hits = hitsOf("/ra-date");
    // HTTP dates have whole seconds: the wait is between 1 and 2 s.
    expect(hits[1]!.at - hits[0]!.at).toBeGreaterThanOrEqual(950);
  });

  // Each on a server of its own: the host is held back (up to EARSHOT_MAX_RETRY_WAIT) afterwards.
  it("throws RateLimitedError with the asked wait when it is longer than the cap (seconds)", async () => {
    const other = await startServer();
    other.route("/ra-long", (_req, res) => res.writeHead(429, { "retry-after": "120" }).end());
    const err = await rejection(h.fetcher.fetch({ url: `${other.origin}/ra-long`, source: "site" })).finally(() => other.close());
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(120_000);
    expect(err.message).toMatch(/wait 2m.*EARSHOT_MAX_RETRY_WAIT/);
    expect(other.hits).toHaveLength(1);
  });

  it("throws RateLimitedError with the asked wait when it is longer than the cap (HTTP date)", async () => {
    const other = await startServer();
    other.route("/ra-long-date", (_req, res) =>
      res.writeHead(503, { "retry-after": new Date(Date.now() + 3600_000).toUTCString() }).end(),
    );
    const err = await rejection(h.fetcher.fetch({ url: `${other.origin}/ra-long-date`, source: "site" })).finally(() =>
      other.close(),
    );
    expect(err).toBeInstanceOf(RateLimitedError);
    const ms = (err as RateLimitedError).retryAfterMs;
    expect(ms).toBeGreaterThan(3595_000);
    expect(ms).toBeLessThanOrEqual(3600_000);
  });
});

describe("blocked answers", () => {
  for (const status of [403, 418, 432]) {
    it(`treats HTTP ${status} as blocked, without retrying, with advice`, async () => {
      server.route(`/status-${status}`, (_req, res) => res.writeHead(status).end("go away"));
      const err = await rejection(get(`/status-${status}?access_token=TOKENSECRET`));
      expect(err).toBeInstanceOf(BlockedError);
      const { details } = err as BlockedError;
      expect(details).toMatchObject({ host: `127.0.0.1:${server.port}`, status });
      expect(details.advice).toMatch(/pauses site on this host for 6h/);
      expect(details.advice).toMatch(/EARSHOT_COOKIE_SITE/);
      expect(details.advice).toMatch(/EARSHOT_PROXIES_SITE or HTTPS_PROXY/);
      expect(details.advice).toContain(`earshot source unblock site --host 127.0.0.1:${server.port}`);
      expect(err.message).not.toMatch(/TOKENSECRET|CONFIGSECRET/);
      expect(hitsOf(`/status-${status}`)).toHaveLength(1);
    });
  }

  it("recognises a captcha page served with 200", async () => {
    server.route("/captcha", (_req, res) =>
      res
        .writeHead(200, { "content-type": "text/html; charset=utf-8" })
        .end("<html><head><title>安全验证</title></head><body>请完成下方验证后继续</body></html>"),
    );
    const err = await rejection(get("/captcha"));
    expect(err).toBeInstanceOf(BlockedError);
    expect((err as BlockedError).details.reason).toMatch(/captcha or security-check page/);
  });

  it("recognises a generic captcha widget", async () => {
    server.route("/recaptcha", (_req, res) =>
      res.writeHead(200, { "content-type": "text/html" }).end('<div class="g-recaptcha" data-sitekey="x"></div>'),
    );
    expect(await rejection(get("/recaptcha"))).toBeInstanceOf(BlockedError);
  });

  it("does not mistake a long page that talks about verification codes for a captcha", async () => {
    const posts = "<p>更新以后一直收不到验证码，登录不了，客服也不回。</p>".repeat(300);
    server.route("/thread", (_req, res) =>
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(`<title>论坛 - 登录问题</title>${posts}`),
    );
    const res = await get("/thread");
    expect(res.body).toContain("收不到验证码");
  });

  it("applies the request's own detectBlock hook", async () => {
    server.route("/api", (_req, res) =>
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":-100,"url":"https://passport.example/"}'),
    );
    const err = await rejection(
      h.fetcher.fetch({
        url: `${server.origin}/api`,
        source: "site",
        detectBlock: (r) => (JSON.parse(r.body).ok === -100 ? "the API asks for a login" : null),
      }),
    );
    expect(err).toBeInstanceOf(BlockedError);
    expect((err as BlockedError).details.reason).toBe("the API asks for a login");
  });

  it("treats a redirect to a passport host as blocked", async () => {
    server.route("/to-passport", (_req, res) =>
      res.writeHead(302, { location: "https://passport.weibo.com/visitor/visitor?entry=miniblog" }).end(),
    );
    const err = await rejection(get("/to-passport"));
    expect(err).toBeInstanceOf(BlockedError);
    expect((err as BlockedError).details).toMatchObject({ status: 302 });
    expect((err as BlockedError).details.reason).toMatch(/login, visitor or captcha page \(passport\.weibo\.com\/visitor\/visitor\)/);
  });

  it("recognises the account, consent and sign-in walls of Google and Apple, and not a content path", () => {
    for (const to of [
      "https://accounts.google.com/ServiceLogin?continue=https://play.google.com/store/apps",
      "https://consent.google.com/ml?continue=https://play.google.com/store/apps/details",
      "https://play.google.com/ServiceLogin?hl=en",
      "https://idmsa.apple.com/appleauth/auth/signin",
    ]) {
      expect(wallRedirectReason(new URL(to)), to).toMatch(/login, visitor or captcha page/);
    }
    for (const to of ["https://play.google.com/store/apps/details?id=com.example", "https://apps.apple.com/cn/app/id123", "https://example.com/topic/loginless-mode"]) {
      expect(wallRedirectReason(new URL(to)), to).toBeNull();
    }
  });

  it("names the host the request asked when a redirect leads to another host that refuses", async () => {
    const other = await startServer();
    other.route("/forbidden", (_req, res) => res.writeHead(403).end("go away"));
    server.route("/moved", (_req, res) => res.writeHead(302, { location: `${other.origin}/forbidden` }).end());
    const err = await rejection(get("/moved")).finally(() => other.close());
    expect(err).toBeInstanceOf(BlockedError);
    expect((err as BlockedError).details).toMatchObject({ host: `127.0.0.1:${other.port}`, requestHost: `127.0.0.1:${server.port}`, status: 403 });
    expect((err as BlockedError).details.advice).toContain(`--host 127.0.0.1:${server.port}`);
  });

  it("treats a redirect to a login path as blocked, before following it", async () => {
    server.route("/to-login", (_req, res) => res.writeHead(302, { location: "/login?next=/x" }).end());
    server.route("/login", (_req, res) => res.writeHead(200).end("login form"));
    expect(await rejection(get("/to-login"))).toBeInstanceOf(BlockedError);
    expect(hitsOf("/login")).toHaveLength(0);
  });
});

describe("redirects", () => {
  it("follows a short chain and reports the final URL", async () => {
    server.route("/r1", (_req, res) => res.writeHead(301, { location: "/r2" }).end());
    server.route("/r2", (_req, res) => res.writeHead(302, { location: `${server.origin}/r3` }).end());
    server.route("/r3", (_req, res) => res.writeHead(200).end("arrived"));
    const res = await get("/r1");
    expect(res.body).toBe("arrived");
    expect(res.url).toBe(`${server.origin}/r3`);
  });

  it("stops a chain longer than EARSHOT_MAX_REDIRECTS with a clear error", async () => {
    server.route("/loop", (req, res) => {
      const n = Number(new URL(req.url!, "http://x").searchParams.get("n") ?? 0);
      res.writeHead(302, { location: `/loop?n=${n + 1}` }).end();
    });
    const err = await rejection(get("/loop"));
    expect(err).toBeInstanceOf(RedirectError);
    expect(err.message).toMatch(/redirected more than 5 times.*EARSHOT_MAX_REDIRECTS/);
    expect(hitsOf("/loop")).toHaveLength(6);
  });

  it("turns a POST into a GET on 303", async () => {
    server.route("/submit", (_req, res) => res.writeHead(303, { location: "/result" }).end());
    server.route("/result", (req, res) => res.writeHead(200).end(req.method));
    const res = await h.fetcher.fetch({ url: `${server.origin}/submit`, method: "POST", body: "q=1", source: "site" });
    expect(res.body).toBe("GET");
  });
});

describe("size cap", () => {
  it("refuses a declared Content-Length over the cap without reading the body", async () => {
    server.route("/huge-declared", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain", "content-length": String(10 * 1024 * 1024) });
      res.write(Buffer.alloc(1024));
    });
    const err = await rejection(get("/huge-declared"));
    expect(err).toBeInstanceOf(ResponseTooLargeError);
    expect(err.message).toMatch(/10485760 bytes, over the 262144-byte limit.*EARSHOT_MAX_RESPONSE_BYTES/);
    expect(hitsOf("/huge-declared")).toHaveLength(1);
  });

  it("stops reading an endless streamed body at the cap", async () => {
    let written = 0;
    let closed = false;
    server.route("/endless", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      const chunk = Buffer.alloc(16 * 1024, 97);
      const timer = setInterval(() => {
        res.write(chunk);
        written += chunk.length;
      }, 2);
      res.on("close", () => {
        closed = true;
        clearInterval(timer);
      });
    });
    const err = await rejection(get("/endless"));
    expect(err).toBeInstanceOf(ResponseTooLargeError);
    expect((err as ResponseTooLargeError).details.limitBytes).toBe(256 * 1024);
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(true);
    expect(written).toBeLessThan(4 * 1024 * 1024);
  });

  it("counts the cap after decompression (a small gzip that inflates past it)", async () => {
    const bomb = gzipSync(Buffer.alloc(2 * 1024 * 1024, 32));
    server.route("/bomb", (_req, res) =>
      res.writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip" }).end(bomb),
    );
    expect(await rejection(get("/bomb"))).toBeInstanceOf(ResponseTooLargeError);
  });
});

describe("character sets", () => {
  const text = "这个应用更新以后总是闪退，客服也不回复，太失望了。";
  const page = (meta: string) => `<html><head>${meta}<title>论坛</title></head><body><p>${text.repeat(4)}</p></body></html>`;

  it("decodes GBK declared in Content-Type", async () => {
    server.route("/gbk-header", (_req, res) =>
      res.writeHead(200, { "content-type": "text/html; charset=GBK" }).end(iconv.encode(page(""), "gbk")),
    );
    const res = await get("/gbk-header");
    expect(res.charset).toBe("gb18030");
    expect(res.body).toContain(text);
  });

  it("decodes GB2312 declared only in <meta http-equiv>", async () => {
    const meta = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">';
    server.route("/gbk-meta", (_req, res) =>
      res.writeHead(200, { "content-type": "text/html" }).end(iconv.encode(page(meta), "gbk")),
    );
    const res = await get("/gbk-meta");
    expect(res.charset).toBe("gb18030");
    expect(res.body).toContain(text);
  });

  it("detects undeclared GBK", async () => {
    server.route("/gbk-none", (_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(iconv.encode(page(""), "gbk")));
    const res = await get("/gbk-none");
    expect(res.body).toContain(text);
  });

  it("decodes a gzip-encoded UTF-8 body", async () => {
    server.route("/gzip", (_req, res) =>
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-encoding": "gzip" }).end(gzipSync(page(""))),
    );
    const res = await get("/gzip");
    expect(res.body).toContain(text);
    expect(res.charset).toBe("utf-8");
  });
});

describe("log entries and secrets", () => {
  it("logs one entry per request, with secret query parameters masked", async () => {
    server.route("/search", (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"items":[]}'));
    const log: FetchLogEntry[] = [];
    await get("/search?q=%E9%97%AA%E9%80%80&token=T1SECRET&sign=S1SECRET&page=2", (e) => log.push(e));
    expect(log).toHaveLength(1);
    const [entry] = log;
    expect(entry).toMatchObject({ method: "GET", status: 200, bytes: 12, retries: 0, error: null });
    expect(entry!.ms).toBeGreaterThanOrEqual(0);
    expect(entry!.url).toBe(`${server.origin}/search?q=%E9%97%AA%E9%80%80&token=***&sign=***&page=2`);
    expect(JSON.stringify(entry)).not.toMatch(/SECRET/);
  });

  it("sends cookies the site set (and the configured ones) back, and never logs them", async () => {
    server.route("/set", (_req, res) =>
      res.writeHead(200, { "set-cookie": "sid=JARSECRET; Path=/; HttpOnly", "content-type": "text/plain" }).end("set"),
    );
    server.route("/echo", (_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("seen"));
    server.route("/deny", (_req, res) => res.writeHead(403).end());
    server.route("/away", (_req, res) => res.writeHead(302, { location: `http://localhost:${server.port}/echo` }).end());
    const log: FetchLogEntry[] = [];
    const first = await get("/set", (e) => log.push(e));
    expect(JSON.stringify(first.headers)).not.toMatch(/JARSECRET/);
    await get("/echo", (e) => log.push(e));
    expect(hitsOf("/echo").at(-1)!.headers.cookie).toBe("sid=JARSECRET; SUB=CONFIGSECRET");
    const err = await rejection(get("/deny", (e) => log.push(e)));
    expect(err).toBeInstanceOf(BlockedError);
    expect(`${err.message} ${JSON.stringify((err as BlockedError).details)}`).not.toMatch(/SECRET/);
    // A redirect to another host gets neither the jar's cookies for this host nor the configured ones.
    await get("/away", (e) => log.push(e));
    expect(hitsOf("/echo").at(-1)!.headers.cookie).toBeUndefined();
    expect(log).toHaveLength(4);
    expect(JSON.stringify(log)).not.toMatch(/SECRET/);
  });

  it("keeps a separate jar per account", async () => {
    server.route("/acct", (req, res) => {
      res.writeHead(200, { "set-cookie": `who=${new URL(req.url!, "http://x").searchParams.get("as")}; Path=/acct` }).end();
    });
    await h.fetcher.fetch({ url: `${server.origin}/acct?as=alice`, source: "site", account: "alice" });
    await h.fetcher.fetch({ url: `${server.origin}/acct?as=bob`, source: "site", account: "bob" });
    await h.fetcher.fetch({ url: `${server.origin}/acct?as=x`, source: "site", account: "alice" });
    expect(hitsOf("/acct").map((x) => x.headers.cookie)).toEqual([undefined, undefined, "who=alice"]);
  });
});
