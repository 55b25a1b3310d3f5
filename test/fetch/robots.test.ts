import { afterAll, beforeAll, expect, it } from "vitest";
import { RobotsDisallowedError, TransientFetchError } from "../../src/errors.ts";
import { deleteKeys, makeFetcher, rejection, startServer, uniquePrefix, type FetcherHarness, type TestServer } from "./support.ts";

const prefix = uniquePrefix();
let server: TestServer;
let h: FetcherHarness;

beforeAll(async () => {
  server = await startServer();
  server.route("/robots.txt", (_req, res) =>
    res
      .writeHead(200, { "content-type": "text/plain" })
      .end("User-agent: *\nDisallow: /private\n\nUser-agent: earshot\nDisallow: /private\nDisallow: /search\n"),
  );
  for (const path of ["/public", "/private/page", "/search", "/hop"]) {
    server.route(path, (_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end(path));
  }
  server.route("/to-private", (_req, res) => res.writeHead(302, { location: "/private/page" }).end());
  h = makeFetcher(prefix);
});
afterAll(async () => {
  await h.close();
  await server.close();
  await deleteKeys(prefix);
});

const hitsOf = (path: string) => server.hits.filter((x) => x.path === path);

it("fetches what robots.txt allows, and reads robots.txt once for all workers", async () => {
  const other = makeFetcher(prefix);
  try {
    expect((await h.fetcher.fetch({ url: `${server.origin}/public`, source: "forum" })).body).toBe("/public");
    expect((await other.fetcher.fetch({ url: `${server.origin}/public`, source: "forum" })).body).toBe("/public");
  } finally {
    await other.close();
  }
  expect(server.robotsHits).toBe(1);
});

it("refuses a disallowed URL without requesting it, and says how to override", async () => {
  const err = await rejection(h.fetcher.fetch({ url: `${server.origin}/private/page?token=SECRET`, source: "forum" }));
  expect(err).toBeInstanceOf(RobotsDisallowedError);
  expect(err.message).toMatch(/robots\.txt forbids .*\/private\/page\?token=\*\*\*/);
  expect(err.message).toMatch(/add "forum" to EARSHOT_ROBOTS_IGNORE/);
  expect(err.message).not.toMatch(/SECRET/);
  expect(hitsOf("/private/page")).toHaveLength(0);
});

it("obeys the group for our own User-Agent token", async () => {
  expect(await rejection(h.fetcher.fetch({ url: `${server.origin}/search`, source: "forum" }))).toBeInstanceOf(
    RobotsDisallowedError,
  );
  expect(hitsOf("/search")).toHaveLength(0);
});

it("checks every redirect hop against robots.txt", async () => {
  expect(await rejection(h.fetcher.fetch({ url: `${server.origin}/to-private`, source: "forum" }))).toBeInstanceOf(
    RobotsDisallowedError,
  );
  expect(hitsOf("/private/page")).toHaveLength(0);
});

it("lets a source listed in EARSHOT_ROBOTS_IGNORE through", async () => {
  const admin = makeFetcher(prefix, { EARSHOT_ROBOTS_IGNORE: "appstore, forum" });
  try {
    const res = await admin.fetcher.fetch({ url: `${server.origin}/private/page`, source: "forum" });
    expect(res.body).toBe("/private/page");
    // Other sources still obey.
    expect(await rejection(admin.fetcher.fetch({ url: `${server.origin}/private/page`, source: "weibo" }))).toBeInstanceOf(
      RobotsDisallowedError,
    );
  } finally {
    await admin.close();
  }
});

it("allows everything when robots.txt is missing (4xx)", async () => {
  const bare = await startServer();
  bare.route("/anything", (_req, res) => res.writeHead(200).end("ok"));
  try {
    expect((await h.fetcher.fetch({ url: `${bare.origin}/anything`, source: "forum" })).body).toBe("ok");
    expect(bare.robotsHits).toBe(1);
  } finally {
    await bare.close();
  }
});

it("crawls nothing while robots.txt answers 5xx, and says so", async () => {
  const broken = await startServer();
  broken.route("/robots.txt", (_req, res) => res.writeHead(503).end());
  broken.route("/anything", (_req, res) => res.writeHead(200).end("ok"));
  try {
    const err = await rejection(h.fetcher.fetch({ url: `${broken.origin}/anything`, source: "forum" }));
    expect(err).toBeInstanceOf(TransientFetchError);
    expect(err.message).toMatch(/robots\.txt answered HTTP 503.*RFC 9309/);
    expect(broken.hits).toHaveLength(0);
  } finally {
    await broken.close();
  }
});

it("spaces requests by robots.txt Crawl-delay when it is longer than the source's", async () => {
  const slow = await startServer();
  slow.route("/robots.txt", (_req, res) => res.writeHead(200).end("User-agent: *\nCrawl-delay: 0.3\n"));
  slow.route("/p", (_req, res) => res.writeHead(200).end("p"));
  try {
    await Promise.all([1, 2, 3].map(() => h.fetcher.fetch({ url: `${slow.origin}/p`, source: "forum" })));
    const at = slow.hits.map((x) => x.at).sort((a, b) => a - b);
    expect(at[2]! - at[0]!).toBeGreaterThanOrEqual(2 * 300 * 0.9);
  } finally {
    await slow.close();
  }
});
