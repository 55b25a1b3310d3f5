/**
 * Per-host politeness shared by every worker process through Redis: at most `concurrency`
 * requests in flight on a host, and request starts at least `minDelayMs` apart.
 *
 * Each host has a sorted set of slot leases (member = lease token, score = expiry time) and a
 * "next start" key. One Lua script checks and takes a slot atomically, so two processes can
 * never take the same one; times come from Redis's clock, so process clocks may disagree.
 * A lease expires on its own if its process dies mid-request.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { sleep } from "./backoff.ts";

export interface PolitenessLimits {
  /** Requests in flight on the host at once, across all workers. */
  concurrency: number;
  /** Least time between two request starts on the host, across all workers. */
  minDelayMs: number;
}

/**
 * KEYS[1] lease set, KEYS[2] next-start key. ARGV: token, concurrency, minDelayMs, leaseMs.
 * Returns 0 when the slot is taken, a wait in ms until the next allowed start, or -1 when all
 * slots are busy (the caller polls).
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local nextAt = tonumber(redis.call('GET', KEYS[2]) or '0')
if nextAt > now then return nextAt - now end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
local lease = tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
local gap = tonumber(ARGV[3])
if gap > 0 then redis.call('SET', KEYS[2], now + gap, 'PX', gap) end
return 0
`;

/** KEYS[1] next-start key. ARGV: ms. Pushes the next allowed start to now + ms, never earlier. */
const DEFER = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ = now + tonumber(ARGV[1])
local nextAt = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > nextAt then redis.call('SET', KEYS[1], until_, 'PX', tonumber(ARGV[1])) end
return 0
`;

/** How often a request waiting for a busy host asks again. */
const BUSY_POLL_MS = 40;

export interface HostSlot {
  /** Gives the slot back; safe to call more than once. */
  release(): Promise<void>;
}

export class Politeness {
  /**
   * @param redis Connection used for the scripts (shared with others is fine: nothing blocks).
   * @param prefix Key prefix; keys are `${prefix}:fetch:host:<host>:slots|next`.
   * @param leaseMs How long a slot survives a process that died holding it; must outlast the
   *   longest request (the fetcher passes its total timeout plus a margin).
   */
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly leaseMs: number,
  ) {}

  private keys(host: string): [string, string] {
    const base = `${this.prefix}:fetch:host:${host.toLowerCase()}`;
    return [`${base}:slots`, `${base}:next`];
  }

  /** Waits until the host may receive a request under `limits`, then holds a slot for it. */
  async acquire(host: string, limits: PolitenessLimits, signal?: AbortSignal): Promise<HostSlot> {
    const [slots, next] = this.keys(host);
    const token = randomUUID();
    const concurrency = Math.max(1, Math.floor(limits.concurrency));
    const gap = Math.max(0, Math.floor(limits.minDelayMs));
    for (;;) {
      signal?.throwIfAborted();
      const wait = Number(await this.redis.eval(ACQUIRE, 2, slots, next, token, concurrency, gap, this.leaseMs));
      if (wait === 0) break;
      // A little jitter so waiting workers do not all ask at the same millisecond.
      await sleep((wait > 0 ? wait : BUSY_POLL_MS) + Math.floor(Math.random() * 10), signal);
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        await this.redis.zrem(slots, token);
      },
    };
  }

  /** Holds back every worker's next request to the host for `ms` (a site asked us to wait). */
  async defer(host: string, ms: number): Promise<void> {
    if (ms <= 0) return;
    await this.redis.eval(DEFER, 1, this.keys(host)[1], Math.ceil(ms));
  }
}
