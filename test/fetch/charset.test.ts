import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { charsetFromContentType, charsetFromMarkup, decodeBody } from "../../src/fetch/charset.ts";

const zh = "这个应用更新以后总是闪退，客服也不回复，太失望了。希望尽快修复登录问题。";
const zhHant = "這個應用程式更新以後總是閃退，客服也不回覆，太失望了。希望盡快修復登入問題。";
const ja = "アプリが更新後に起動しなくなりました。ログインもできません。早く直してください。";
const page = (body: string, head = "") => `<html><head>${head}<title>t</title></head><body><p>${body.repeat(3)}</p></body></html>`;

describe("decodeBody", () => {
  for (const [encoding, text, expected] of [
    ["gbk", zh, "gb18030"],
    ["gb18030", zh, "gb18030"],
    ["big5", zhHant, "big5"],
    ["shift_jis", ja, "shift_jis"],
  ] as const) {
    it(`decodes ${encoding} declared in Content-Type`, () => {
      const res = decodeBody(iconv.encode(page(text), encoding), `text/html; charset=${encoding.toUpperCase()}`);
      expect(res.charset).toBe(expected);
      expect(res.text).toContain(text);
    });

    it(`decodes ${encoding} declared in <meta charset>`, () => {
      const res = decodeBody(iconv.encode(page(text, `<meta charset="${encoding}">`), encoding), "text/html");
      expect(res.text).toContain(text);
    });

    it(`detects undeclared ${encoding}`, () => {
      const res = decodeBody(iconv.encode(page(text), encoding), undefined);
      expect(res.text).toContain(text);
    });
  }

  it("prefers Content-Type over <meta>", () => {
    const bytes = iconv.encode(page(zh, '<meta charset="big5">'), "gbk");
    expect(decodeBody(bytes, "text/html; charset=gbk").text).toContain(zh);
  });

  it("reads JSON without a charset as UTF-8", () => {
    expect(decodeBody(Buffer.from(JSON.stringify({ t: zh })), "application/json")).toEqual({
      text: JSON.stringify({ t: zh }),
      charset: "utf-8",
    });
  });

  it("honours a UTF-8 byte-order mark and strips it", () => {
    const res = decodeBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(zh)]), "text/html; charset=gbk");
    expect(res).toEqual({ text: zh, charset: "utf-8" });
  });

  it("reads an XML declaration", () => {
    const xml = `<?xml version="1.0" encoding="GB2312"?><rss><item>${zh}</item></rss>`;
    expect(decodeBody(iconv.encode(xml, "gbk"), "application/xml").text).toContain(zh);
  });

  it("falls back to detection when the declared charset is unknown", () => {
    expect(decodeBody(Buffer.from(page(zh)), "text/html; charset=x-nonsense").text).toContain(zh);
  });
});

describe("declarations", () => {
  it("finds the charset parameter", () => {
    expect(charsetFromContentType('text/html; charset="GBK"')).toBe("GBK");
    expect(charsetFromContentType("text/html")).toBeNull();
  });

  it("finds http-equiv and meta charset", () => {
    expect(charsetFromMarkup(Buffer.from('<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />'))).toBe(
      "gb2312",
    );
    expect(charsetFromMarkup(Buffer.from("<meta charset=utf-8>"))).toBe("utf-8");
  });
});
