/**
 * Recognising a site that refuses us, and telling the admin what to do about it.
 * A blocked answer is never retried blindly: retrying makes blocks longer.
 */
import { sourceEnvKey } from "../config.ts";

/** Statuses that mean "you, specifically, may not": 432 is Weibo's anti-crawler answer. */
const BLOCK_STATUSES: Record<number, string> = {
  401: "the site asks us to log in (HTTP 401)",
  403: "the site forbids access (HTTP 403)",
  418: "the site refuses automated clients (HTTP 418)",
  432: "the site's anti-crawler check refused the request (HTTP 432)",
};

/** Why a status blocks us, or null when it does not. */
export function blockedStatusReason(status: number): string | null {
  return BLOCK_STATUSES[status] ?? null;
}

/**
 * Hosts that only ever serve login, visitor-cookie, consent or captcha pages (Google's
 * accounts.* and its cookie-consent consent.*, Apple's idmsa.* sign-in).
 */
const WALL_HOST = /^(passport|login|signin|sso|visitor|wappass|captcha|verify|sec|accounts|consent|idmsa)\./i;
/** Paths of login walls (Google's /ServiceLogin too), visitor systems and "are you a robot" pages. */
const WALL_PATH =
  /\/(login|signin|sign_in|sign-in|servicelogin|passport|visitor|captcha|verify|verification|security[-_]?check|sorry|challenge|antispider|anti_spider)(\b|\/|\.|$)/i;

/** Why a redirect target is a login, visitor or captcha wall, or null when it looks like content. */
export function wallRedirectReason(location: URL): string | null {
  if (WALL_HOST.test(location.hostname) || WALL_PATH.test(location.pathname)) {
    return `the site redirected to a login, visitor or captcha page (${location.host}${location.pathname})`;
  }
  return null;
}

/**
 * Markers only challenge pages carry (captcha widgets, bot-protection scripts), searched
 * anywhere in an HTML page.
 */
const CHALLENGE_MARKERS = [
  "g-recaptcha",
  "h-captcha",
  "cf-chl-",
  "cf_chl_opt",
  "geetest_",
  "TencentCaptcha",
  "tcaptcha",
  "nc_1_wrapper",
  "captcha-container",
  'id="captcha"',
];
/**
 * Phrases of challenge pages. User posts say them too ("收不到验证码" is a common complaint),
 * so they only count in the <title> or on a short page.
 */
const CHALLENGE_PHRASES =
  /安全验证|人机验证|验证码|访问验证|异常访问|访问异常|访问过于频繁|请完成验证|captcha|security check|verify you are (a )?human|are you a robot|attention required|just a moment\.\.\./i;
/** Challenge pages are small; a page longer than this is content that mentions the phrases. */
const SHORT_PAGE_CHARS = 6000;

/** Why an HTML page is a captcha or security-check page, or null when it is not. */
export function challengePageReason(body: string, contentType: string | undefined): string | null {
  if (contentType && !/html/i.test(contentType)) return null;
  const head = body.slice(0, 200_000);
  const marker = CHALLENGE_MARKERS.find((m) => head.includes(m));
  if (marker) return `the site answered with a captcha page (${marker})`;
  const title = /<title[^>]*>([\s\S]{0,300}?)<\/title>/i.exec(head)?.[1] ?? "";
  const inTitle = CHALLENGE_PHRASES.exec(title);
  if (inTitle) return `the site answered with a captcha or security-check page ("${inTitle[0]}" in its title)`;
  if (body.length <= SHORT_PAGE_CHARS) {
    const visible = body.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>|<[^>]+>/gi, " ");
    const phrase = CHALLENGE_PHRASES.exec(visible);
    if (phrase) return `the site answered with a captcha or security-check page ("${phrase[0]}")`;
  }
  return null;
}

/** What the admin can do about a block, in one paragraph naming the variables to change. */
export function formatBlockAdvice(args: { source: string; host: string; backoffMs: number; hasProxies: boolean }): string {
  const key = sourceEnvKey(args.source);
  const proxyStep = args.hasProxies
    ? `add fresh proxies to EARSHOT_PROXIES_${key} (every configured proxy was tried)`
    : `add a proxy with EARSHOT_PROXIES_${key} or HTTPS_PROXY`;
  return (
    `earshot pauses ${args.source} on this host for ${formatDuration(args.backoffMs)} ` +
    `(EARSHOT_BLOCK_BACKOFF); other sources keep running. To resume: wait for the block to lift, ` +
    `or refresh the cookies in EARSHOT_COOKIE_${key}, or ${proxyStep}, ` +
    `or slow the source down with EARSHOT_POLITENESS_${key}=1/5000; then resume at once with ` +
    `\`earshot source unblock ${args.source} --host ${args.host}\` (or POST /api/sources/${args.source}/unblock).`
  );
}

/** "6h", "90m", "45s": the largest unit that divides the duration evenly. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
