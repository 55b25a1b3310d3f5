import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../src/errors.ts";
import { sources } from "../../src/sources/index.ts";

/**
 * Fault injection on every parser: random text, random JSON, and the project's own fixtures cut short
 * or with characters replaced. A parser returns mentions or throws a ParseError; nothing else, and
 * never slowly.
 */

// CI replays a fixed seed (a red build must mean a regression, and be reproducible); elsewhere each
// run explores new inputs, and FUZZ_RUNS=5000 explores more.
const seed = process.env.CI ? { seed: 20261123 } : {};

const fixturesDir = new URL("../fixtures/", import.meta.url);
const fixtures = readdirSync(fixturesDir)
  .filter((d) => sources.has(d))
  .flatMap((d) => readdirSync(new URL(`${d}/`, fixturesDir)).map((f) => ({ source: d, body: readFileSync(new URL(`${d}/${f}`, fixturesDir), "latin1") })));

/** The body of each sample as text the way the fetch layer hands it over (UTF-8 here; GBK files are decoded by bytes elsewhere). */
const samples = fixtures.map((f) => ({ ...f, body: Buffer.from(f.body, "latin1").toString("utf8") }));

function parseOrParseError(source: string, body: string): void {
  const adapter = sources.get(source)!;
  const started = performance.now();
  try {
    const items = adapter.parse(body);
    expect(Array.isArray(items)).toBe(true);
    for (const m of items) {
      expect(typeof m.externalId).toBe("string");
      expect(typeof m.text).toBe("string");
      expect(m.publishedAt === null || (m.publishedAt instanceof Date && !Number.isNaN(m.publishedAt.getTime()))).toBe(true);
    }
  } catch (err) {
    if (!(err instanceof ParseError)) throw new Error(`${source} threw ${(err as Error)?.name}: ${(err as Error)?.message}`, { cause: err });
  }
  expect(performance.now() - started).toBeLessThan(2000);
}

describe("every parser, on input it was never meant to read", () => {
  it("has fixtures to mutate for every source that has a folder", () => {
    expect(new Set(samples.map((s) => s.source)).size).toBeGreaterThanOrEqual(5);
  });

  for (const source of sources.keys()) {
    it(`${source}: random text and random JSON give mentions or a ParseError`, () => {
      fc.assert(
        fc.property(fc.oneof(fc.string({ maxLength: 2000 }), fc.json({ maxDepth: 6 }), fc.constantFrom("", "null", "[]", "{}", ")]}'\n", "<html></html>")), (body) => {
          parseOrParseError(source, body);
        }),
        { numRuns: Number(process.env.FUZZ_RUNS ?? 150), ...seed },
      );
    });
  }

  it("fixtures cut short or with characters replaced give mentions or a ParseError", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom("\"", "{", "}", "<", ">", "\u0000", "9", ",", "]", "\\")), { maxLength: 8 }),
        (sample, cut, edits) => {
          const chars = [...sample.body.slice(0, Math.floor(sample.body.length * (0.2 + 0.8 * cut)))];
          for (const [at, ch] of edits) if (chars.length) chars[Math.floor(at * chars.length) % chars.length] = ch;
          parseOrParseError(sample.source, chars.join(""));
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) * 2, ...seed },
    );
  });
});
