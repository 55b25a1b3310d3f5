/**
 * One cookie jar per source and account, in memory: Set-Cookie answers are kept and sent back
 * on later requests, as a browser would. Cookies an admin configures
 * (EARSHOT_COOKIE_<SOURCE>[_<ACCOUNT>]) are sent to the hosts the source asks for itself, never
 * to other hosts a redirect leads to. Nothing here is ever logged.
 */
import { CookieJar } from "tough-cookie";

export type ConfiguredCookies = (source: string, account: string) => string | undefined;

export class CookieJars {
  private readonly jars = new Map<string, CookieJar>();

  /** @param configured The admin's Cookie header per source and account (config.fetch.cookieHeader). */
  constructor(private readonly configured: ConfiguredCookies) {}

  private jar(source: string, account: string): CookieJar {
    const key = `${source}\u0000${account}`;
    let jar = this.jars.get(key);
    if (!jar) {
      jar = new CookieJar(undefined, { looseMode: true });
      this.jars.set(key, jar);
    }
    return jar;
  }

  /**
   * The Cookie header for a request: the jar's cookies for the URL, plus the configured ones
   * when `firstParty` (the host the source asked for). Jar cookies win on a name clash, as
   * they are the site's newer word.
   */
  async header(source: string, account: string, url: URL, firstParty: boolean): Promise<string | undefined> {
    const fromJar = await this.jar(source, account).getCookieString(url.toString());
    const fromConfig = firstParty ? this.configured(source, account) : undefined;
    if (!fromConfig) return fromJar || undefined;
    if (!fromJar) return fromConfig;
    const names = new Set(fromJar.split(/;\s*/).map((c) => c.split("=")[0]));
    const kept = fromConfig.split(/;\s*/).filter((c) => c && !names.has(c.split("=")[0]));
    return [fromJar, ...kept].join("; ");
  }

  /** Stores a response's Set-Cookie headers; cookies the jar refuses are dropped silently. */
  async store(source: string, account: string, url: URL, setCookies: readonly string[]): Promise<void> {
    const jar = this.jar(source, account);
    for (const line of setCookies) {
      await jar.setCookie(line, url.toString(), { ignoreError: true });
    }
  }
}
