/** Keeps secrets out of anything the fetch layer records: logs, errors, the fetch log. */

/** Query parameters whose values are credentials or request signatures. */
const SECRET_PARAM =
  /^(token|access_token|refresh_token|id_token|auth|authorization|key|api_key|apikey|sign|signature|sig|secret|client_secret|password|passwd|pwd|session|sessionid|sid|ticket|cookie|st)$|_(token|key|secret|sign|sig)$/i;

/** The URL with credentials in the userinfo and secret query parameters replaced by "***". */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.replace(/[?#].*$/, "");
  }
  if (u.username) u.username = "***";
  if (u.password) u.password = "***";
  let changed = false;
  for (const name of [...new Set(u.searchParams.keys())]) {
    if (SECRET_PARAM.test(name)) {
      u.searchParams.set(name, "***");
      changed = true;
    }
  }
  // Re-serialising escapes the "*"; keep the log readable.
  return changed ? u.toString().replace(/%2A%2A%2A/g, "***") : u.toString();
}

/** The proxy URL without its credentials, for messages. */
export function redactProxy(proxy: string): string {
  try {
    const u = new URL(proxy);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "(unparsable proxy URL)";
  }
}
