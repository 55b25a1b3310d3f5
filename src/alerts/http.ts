import { Agent, request, type Dispatcher } from "undici";
import { checkTargetUrl, guardedLookup, redactSecrets, UnsafeTargetError, type TargetPolicy } from "./safety.ts";
import { RetryLaterError, UndeliverableError } from "./channels/types.ts";

/** Largest receiver answer read (robots answer with a few bytes of JSON). */
const MAX_ANSWER_BYTES = 64 * 1024;

const agents = new Map<string, Agent>();

/** One keep-alive pool per policy; its DNS lookup refuses private addresses at connect time. */
function agentFor(policy: TargetPolicy, timeoutMs: number): Dispatcher {
  const key = `${policy.allowPrivateTargets}-${timeoutMs}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({
      connect: { lookup: guardedLookup(policy), timeout: timeoutMs },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      keepAliveTimeout: 10_000,
    });
    agents.set(key, agent);
  }
  return agent;
}

/** Closes the shared pools (tests, shutdown). */
export async function closeHttpAgents(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.all(all.map((a) => a.close()));
}

export interface PostAnswer {
  status: number;
  text: string;
}

/**
 * POSTs a JSON body to a channel target: the URL is checked again (scheme, IP literal), the
 * resolved address is checked at connect, redirects are not followed, and the whole exchange
 * has one deadline. Maps failures to RetryLaterError or UndeliverableError, secrets removed.
 */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: { policy: TargetPolicy; timeoutMs: number; secrets?: readonly (string | null)[] },
): Promise<PostAnswer> {
  const clean = (msg: string) => redactSecrets(msg, url, options.secrets ?? []);
  try {
    checkTargetUrl(url, options.policy);
  } catch (err) {
    throw new UndeliverableError(clean((err as Error).message));
  }
  let status: number;
  let text: string;
  try {
    const res = await request(url, {
      method: "POST",
      body,
      headers: { "content-type": "application/json; charset=utf-8", "user-agent": "earshot-alerts/0.1", ...headers },
      dispatcher: agentFor(options.policy, options.timeoutMs),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    status = res.statusCode;
    text = await readCapped(res.body);
  } catch (err) {
    const unsafe = findCause(err, (e) => e instanceof UnsafeTargetError);
    if (unsafe) throw new UndeliverableError(clean(unsafe.message));
    const e = err as Error & { code?: string };
    const what = e.name === "TimeoutError" || e.name === "AbortError" || /timeout/i.test(e.code ?? "") ? `no answer within ${options.timeoutMs} ms` : `${e.code ?? e.name}: ${e.message}`;
    throw new RetryLaterError(clean(what));
  }
  if (status >= 200 && status < 300) return { status, text };
  const snippet = clean(text.slice(0, 200).replace(/\s+/g, " "));
  if (status === 408 || status === 425 || status === 429 || status >= 500) throw new RetryLaterError(`HTTP ${status} ${snippet}`.trim(), status);
  if (status >= 300 && status < 400) throw new UndeliverableError(`HTTP ${status}: redirects are not followed; save the final URL`, status);
  throw new UndeliverableError(`HTTP ${status} ${snippet}`.trim(), status);
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy?: () => void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy?.();
      break;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function findCause(err: unknown, test: (e: unknown) => boolean): Error | null {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (test(e)) return e as Error;
  }
  return null;
}

/**
 * Chat robots answer 200 with an error code in the body (DingTalk/WeCom errcode, Feishu code).
 * Rate limits are worth retrying; anything else means the robot refuses the message.
 */
export function checkRobotAnswer(answer: PostAnswer, field: "errcode" | "code", retryable: readonly number[]): void {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(answer.text) as Record<string, unknown>;
  } catch {
    throw new RetryLaterError(`the robot answered ${answer.status} with something that is not JSON`, answer.status);
  }
  const code = Number(parsed[field] ?? parsed.StatusCode ?? 0);
  if (code === 0) return;
  const msg = String(parsed.errmsg ?? parsed.msg ?? parsed.StatusMessage ?? "");
  if (retryable.includes(code)) throw new RetryLaterError(`robot error ${code}: ${msg}`, answer.status);
  throw new UndeliverableError(`robot error ${code}: ${msg}`, answer.status);
}
