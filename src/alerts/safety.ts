import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";

/** A channel target that must not be used as configured: nothing is sent, and retrying cannot help. */
export class UnsafeTargetError extends Error {
  override name = "UnsafeTargetError";
}

export interface TargetPolicy {
  /** Allow loopback, private, link-local, CGNAT and metadata addresses (a local receiver). */
  allowPrivateTargets: boolean;
  /** Allow http:// (and SMTP without STARTTLS). */
  allowInsecure: boolean;
}

// Every range a webhook must not reach unless the admin says so: a target pointed at the
// metadata service or an internal admin port would turn alerts into a request forgery tool.
const blocked = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // CGNAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, including 169.254.169.254 metadata
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  blocked.addSubnet(net, bits, "ipv4");
}
for (const [net, bits] of [
  ["::", 96], // unspecified, loopback and the old IPv4-compatible form
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["ff00::", 8],
  ["64:ff9b::", 96], // NAT64 can reach any IPv4 address
  ["2001:db8::", 32],
  ["fd00:ec2::254", 128], // AWS metadata over IPv6
] as const) {
  blocked.addSubnet(net, bits, "ipv6");
}

/** True for an address a channel may only reach with allowPrivateTargets. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, "ipv4");
  // IPv4-mapped addresses (::ffff:a.b.c.d) are checked against the IPv4 rules by BlockList itself.
  if (family === 6) return blocked.check(address, "ipv6");
  return true; // not an address at all: refuse
}

/** Host of a URL without IPv6 brackets. */
function bareHost(u: URL): string {
  return u.hostname.replace(/^\[|\]$/g, "");
}

/**
 * Checks a channel URL's form: a known scheme, https (or smtps) unless allowInsecure, no
 * credentials in a web URL, and an IP literal host only if it is public or allowed.
 */
export function checkTargetUrl(target: string, policy: TargetPolicy, schemes: readonly ("http" | "smtp")[] = ["http"]): URL {
  let u: URL;
  try {
    u = new URL(target);
  } catch {
    throw new UnsafeTargetError(`"${redactTarget(target)}" is not a URL`);
  }
  const web = u.protocol === "https:" || u.protocol === "http:";
  const mail = u.protocol === "smtps:" || u.protocol === "smtp:";
  if ((web && !schemes.includes("http")) || (mail && !schemes.includes("smtp")) || (!web && !mail)) {
    throw new UnsafeTargetError(`${u.protocol}// is not a scheme this channel sends to`);
  }
  // smtp:// is allowed: the email channel then insists on STARTTLS unless allowInsecure.
  if (u.protocol === "http:" && !policy.allowInsecure) {
    throw new UnsafeTargetError("http:// sends alerts unencrypted: use https:// or set allowInsecure");
  }
  if (web && (u.username || u.password)) throw new UnsafeTargetError("a webhook URL may not hold a user name or password");
  const host = bareHost(u);
  if (isIP(host) && isPrivateAddress(host) && !policy.allowPrivateTargets) {
    throw new UnsafeTargetError(`${host} is a loopback, private, link-local or metadata address: refused unless the channel sets allowPrivateTargets`);
  }
  return u;
}

/**
 * Resolves a host and refuses it when any address it resolves to is private (an attacker controls
 * which of several addresses a client picks). Returns the addresses.
 */
export async function resolvePublic(host: string, policy: Pick<TargetPolicy, "allowPrivateTargets">): Promise<LookupAddress[]> {
  const addresses = isIP(host)
    ? [{ address: host, family: isIP(host) }]
    : await new Promise<LookupAddress[]>((resolve, reject) =>
        dnsLookup(host, { all: true }, (err, list) => (err ? reject(new UnsafeTargetError(`cannot resolve ${host}: ${err.code ?? err.message}`)) : resolve(list))),
      );
  if (!policy.allowPrivateTargets) {
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) throw new UnsafeTargetError(`${host} resolves to ${bad.address}, a loopback, private, link-local or metadata address: refused unless the channel sets allowPrivateTargets`);
  }
  return addresses;
}

/** Validates a target when it is saved: its form, then every address its host resolves to. */
export async function validateTarget(target: string, policy: TargetPolicy, schemes: readonly ("http" | "smtp")[] = ["http"]): Promise<URL> {
  const u = checkTargetUrl(target, policy, schemes);
  await resolvePublic(bareHost(u), policy);
  return u;
}

/**
 * A DNS lookup for sockets that re-checks the address at connect time, so a name that resolved
 * to a public address when saved cannot be rebound to a private one when sent.
 */
export function guardedLookup(policy: Pick<TargetPolicy, "allowPrivateTargets">): LookupFunction {
  return (hostname, options, callback) => {
    resolvePublic(hostname, policy).then(
      (list) => {
        const family = typeof options === "object" && options ? options.family : undefined;
        const usable = list.filter((a) => !family || family === a.family || family === `IPv${a.family}`);
        const chosen = usable.length ? usable : list;
        if (typeof options === "object" && options?.all) (callback as (e: null, a: LookupAddress[]) => void)(null, chosen);
        else callback(null, chosen[0]!.address, chosen[0]!.family);
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, "", 0),
    );
  };
}

/** A target as list commands and logs show it: scheme and host, never the path or query (tokens live there). */
export function redactTarget(target: string): string {
  try {
    const u = new URL(target);
    const hidden = u.pathname.length > 1 || u.search ? "/…" : "";
    return `${u.protocol}//${u.username ? "***@" : ""}${u.host}${hidden}`;
  } catch {
    return "(invalid URL)";
  }
}

/** Removes the target's secrets (its path, query and any given secret) from an error message. */
export function redactSecrets(text: string, target: string, secrets: readonly (string | null | undefined)[] = []): string {
  let out = text;
  const parts: string[] = [target];
  try {
    const u = new URL(target);
    parts.push(u.pathname + u.search, u.search, u.pathname, ...[...u.searchParams.values()], u.password);
  } catch {
    /* not a URL */
  }
  for (const s of [...parts, ...secrets]) {
    if (s && s.length >= 4 && s !== "/") out = out.split(s).join("[redacted]");
  }
  return out;
}
