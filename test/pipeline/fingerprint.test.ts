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
});
