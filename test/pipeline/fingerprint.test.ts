import { describe, expect, it } from "vitest";
import { canonicalText, hammingDistance, simBands, simhash } from "../../src/pipeline/fingerprint.ts";

const sh = (t: string) => simhash(canonicalText(t));

describe("content fingerprints", () => {
  it("ignores punctuation, case, spacing, emoji and links", () => {
    expect(canonicalText("  微信又闪退了！！😡 https://t.cn/abc ")).toBe(canonicalText("微信又闪退了"));
    expect(canonicalText("MyApp CRASHES, again.")).toBe(canonicalText("myapp crashes again"));
  });

  it("reads a Weibo repost chain or an RT as the text it reposts", () => {
    const original = "更新到最新版以后微信一打开就闪退，聊天记录也打不开了";
    expect(canonicalText(`//@小明:转发微博 //@Lee_2: ${original}`)).toBe(canonicalText(original));
    expect(canonicalText("RT @someone: MyApp crashes on login")).toBe(canonicalText("MyApp crashes on login"));
  });

  it("puts a snippet cut short by a forum's search page within Hamming distance 3 of the full post", () => {
    const original = "更新到最新版以后微信一打开就闪退，聊天记录也打不开了，客服一直不回复，到底什么时候修复啊";
    expect(hammingDistance(sh(original), sh(original.slice(0, -3)))).toBeLessThanOrEqual(3);
  });

  it("keeps unrelated texts far apart", () => {
    const a = sh("更新到最新版以后微信一打开就闪退，聊天记录也打不开了");
    const b = sh("今天天气不错，出去拍了几张照片，心情很好");
    expect(hammingDistance(a, b)).toBeGreaterThan(10);
  });

  it("shares at least one band between hashes within distance 3", () => {
    const a = sh("The app crashes every time I open the camera after the latest update, please fix it");
    for (const flips of [[0], [5, 40], [1, 17, 63]]) {
      let b = BigInt.asUintN(64, a);
      for (const bit of flips) b ^= 1n << BigInt(bit);
      const bb = BigInt.asIntN(64, b);
      expect(hammingDistance(a, bb)).toBe(flips.length);
      const shared = simBands(a).filter((x) => simBands(bb).includes(x));
      expect(shared.length).toBeGreaterThan(0);
    }
  });

  it("hashes a text to the same value as the rows already stored (the hash is part of the data)", () => {
    expect(sh("更新到最新版以后微信一打开就闪退，聊天记录也打不开了")).toBe(3750129420644694349n);
    expect(sh("The app crashes every time I open the camera")).toBe(-7401835661058882598n);
    expect(sh("ab")).toBe(-6031497187676101619n);
    expect(sh("")).toBe(-1461767549107667957n);
  });

  it("counts every bit of a long text the way a plain per-bit tally does", () => {
    const text = canonicalText("闪退卡顿登录不上 crash lag login ".repeat(900));
    const tally = new Array<number>(64).fill(0);
    const shingles = text.length - 2;
    for (let i = 0; i < shingles; i++) {
      // A one-shingle text hashes to that shingle's own bits.
      const h = BigInt.asUintN(64, simhash(text.slice(i, i + 3)));
      for (let b = 0; b < 64; b++) tally[b]! += Number((h >> BigInt(b)) & 1n);
    }
    let want = 0n;
    for (let b = 0; b < 64; b++) if (2 * tally[b]! > shingles) want |= 1n << BigInt(b);
    expect(simhash(text)).toBe(BigInt.asIntN(64, want));
  });
});
