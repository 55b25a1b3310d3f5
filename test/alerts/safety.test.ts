import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookSender } from "../../src/alerts/channels/webhook.ts";
import { UndeliverableError, type ChannelConfig, type OutgoingMessage } from "../../src/alerts/channels/types.ts";
import { closeHttpAgents } from "../../src/alerts/http.ts";
import { addChannel, listChannels } from "../../src/alerts/repo.ts";
import { checkTargetUrl, isPrivateAddress, redactSecrets, redactTarget, validateTarget } from "../../src/alerts/safety.ts";
import { UsageError } from "../../src/errors.ts";
import { createTestEnv, type TestEnv } from "../helpers/env.ts";
import { startReceiver, type Receiver } from "./receiver.ts";

let env: TestEnv;
let receiver: Receiver;
beforeAll(async () => {
  env = await createTestEnv();
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await closeHttpAgents();
  await env.teardown();
});

const strict = { allowPrivateTargets: false, allowInsecure: false };

describe("channel target checks", () => {
  it.each([
    "127.0.0.1", "10.0.0.8", "172.16.5.4", "192.168.1.1", "100.64.1.1", "169.254.169.254", "0.0.0.0",
    "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:a9fe:a9fe", "fd00:ec2::254",
  ])("calls %s private", (a) => expect(isPrivateAddress(a)).toBe(true));

  it.each(["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])("calls %s public", (a) => expect(isPrivateAddress(a)).toBe(false));

  it("accepts only https unless the channel allows insecure targets", () => {
    expect(() => checkTargetUrl("http://hooks.example.com/x", strict)).toThrow(/unencrypted/);
    expect(() => checkTargetUrl("ftp://hooks.example.com/x", strict)).toThrow(/not a scheme/);
    expect(checkTargetUrl("https://hooks.example.com/x", strict).hostname).toBe("hooks.example.com");
  });

  it.each([
    "https://127.0.0.1/hook",
    "https://[::1]/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::ffff:127.0.0.1]/hook",
    "https://2130706433/hook",
    "https://0x7f.1/hook",
  ])("refuses %s, a private address however it is written", (url) => {
    expect(() => checkTargetUrl(url, strict)).toThrow(/allowPrivateTargets/);
  });

  it("refuses a name that resolves to a private address", async () => {
    await expect(validateTarget("https://localhost/hook", strict)).rejects.toThrow(/localhost resolves to .*allowPrivateTargets/);
    await expect(validateTarget("https://localhost/hook", { ...strict, allowPrivateTargets: true })).resolves.toBeInstanceOf(URL);
  });

  it("refuses a private target again when sending, even though the row says otherwise", async () => {
    // Saved by hand (or the address changed since): the send-time check still holds.
    const channel: ChannelConfig = { id: 1, name: "x", kind: "webhook", target: `http://localhost:${receiver.port}/x`, settings: {}, secret: null, allowPrivateTargets: false, allowInsecure: true };
    const message: OutgoingMessage = { key: "1", type: "test", alerts: [], sentAt: new Date() };
    await expect(webhookSender.send(channel, message, { timeoutMs: 1000, print: () => {} })).rejects.toBeInstanceOf(UndeliverableError);
    await expect(webhookSender.send({ ...channel, target: `http://127.0.0.1:${receiver.port}/x` }, message, { timeoutMs: 1000, print: () => {} })).rejects.toThrow(/allowPrivateTargets/);
    expect(receiver.received).toHaveLength(0);
  });

  it("refuses to save a private target, and saves it with allowPrivateTargets", async () => {
    const sql = env.database.sql;
    await expect(addChannel(sql, { name: "bad", kind: "webhook", target: `http://127.0.0.1:${receiver.port}/x`, allowInsecure: true, by: "test" })).rejects.toBeInstanceOf(UsageError);
    await expect(addChannel(sql, { name: "plain", kind: "slack", target: "http://hooks.slack.com/services/x", by: "test" })).rejects.toThrow(/unencrypted/);
    const ok = await addChannel(sql, { name: "local", kind: "webhook", target: `http://127.0.0.1:${receiver.port}/x`, allowInsecure: true, allowPrivateTargets: true, secret: "hush-hush", by: "test" });
    expect(ok.id).toBeGreaterThan(0);
  });

  it("never lists a channel's secret or the token in its URL", async () => {
    const sql = env.database.sql;
    await addChannel(sql, { name: "ding", kind: "dingtalk", target: "https://127.0.0.1/robot/send?access_token=tok-very-secret", secret: "SEC-signing", allowPrivateTargets: true, by: "test" });
    const listed = JSON.stringify(await listChannels(sql));
    expect(listed).not.toContain("tok-very-secret");
    expect(listed).not.toContain("SEC-signing");
    expect(listed).not.toContain("hush-hush");
    expect(listed).toContain('"target":"https://127.0.0.1/…"');
    expect(listed).toContain('"hasSecret":true');
  });

  it("removes tokens and secrets from error text", () => {
    const url = "https://oapi.dingtalk.com/robot/send?access_token=abcd1234";
    expect(redactSecrets(`connect failed for ${url} with SEC999`, url, ["SEC999"])).toBe("connect failed for [redacted] with [redacted]");
    expect(redactTarget("https://hooks.slack.com/services/T000/B000/XXXX")).toBe("https://hooks.slack.com/…");
  });
});
