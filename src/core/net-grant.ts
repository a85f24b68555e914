/**
 * Network grants: `allow: { net: ["host[:port]", ...] }` on a step. A grant names a host
 * exactly as written (no wildcards, no scheme, no path) and optionally a port; without a
 * port it allows the scheme's default (80 for http:, 443 for https:). A request matches
 * when its URL, parsed by the WHATWG URL parser (the one the host's fetch uses), has the
 * same host name and port. The name is matched, not the address it resolves to: see the
 * README's Security section for what that means for DNS rebinding.
 */

/** One parsed grant entry. */
export interface NetGrant {
  /** Lower-case host name, dotted IPv4 address, or bracketed IPv6 address. */
  readonly host: string;
  /** The port, or undefined for the scheme's default port. */
  readonly port: number | undefined;
}

/** A step's network access as the pool sends it with a task (absent: no network). */
export interface NetAccess {
  /** The grant entries, normalised (see {@link parseNetGrant}). */
  readonly hosts: readonly string[];
  /** Most bytes of one response body (NetworkLimitError past it). */
  readonly maxBytes: number;
  /** Milliseconds one request may take, redirects included (NetworkLimitError past it). */
  readonly timeoutMs: number;
}

/** Most redirects the host follows for one request (each one checked against the grant). */
export const MAX_REDIRECTS = 5;

/** What the checks read of a parsed URL. */
interface ParsedUrl {
  readonly href: string;
  readonly protocol: string;
  readonly username: string;
  readonly password: string;
  readonly hostname: string;
  readonly port: string;
}

// The WHATWG URL parser every JavaScript platform has (the core declares no platform types).
const UrlParser = (globalThis as unknown as { URL: new (text: string) => ParsedUrl }).URL;

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Parses a grant entry `host[:port]`; the error says what is wrong with it. The result's
 * `text` is the normalised entry (lower case).
 */
export function parseNetGrant(
  entry: string,
): { ok: true; grant: NetGrant; text: string } | { ok: false; error: string } {
  const fail = (error: string) => ({ ok: false as const, error });
  const shown = JSON.stringify(entry);
  if (entry.length === 0) return fail("a network grant must name a host, got an empty string");
  if (entry.includes("://"))
    return fail(`${shown} must be host[:port] without a scheme (the scheme is the request's: http or https)`);
  if (entry.includes("*")) return fail(`${shown}: wildcards are not supported; name each host`);
  if (/[/?#@\\\s]/.test(entry))
    return fail(`${shown} must be host[:port] only (no path, query, user or spaces)`);
  let url: ParsedUrl;
  try {
    url = new UrlParser(`http://${entry}/`);
  } catch {
    return fail(`${shown} is not a host[:port]`);
  }
  const lower = entry.toLowerCase();
  const portText = /:(\d+)$/.exec(lower)?.[1];
  const hostText = portText === undefined ? lower : lower.slice(0, -portText.length - 1);
  if (hostText.endsWith(":")) return fail(`${shown} has an empty port`);
  if (portText !== undefined) {
    const port = Number(portText);
    if (!(port >= 1 && port <= 65535)) return fail(`${shown}: the port must be 1-65535`);
  } else if (/:[^\]]*$/.test(lower)) return fail(`${shown}: the port must be a number 1-65535`);
  if (hostText.endsWith(".")) return fail(`${shown}: write the host without a trailing dot`);
  if (url.hostname !== hostText) {
    return fail(
      `${shown}: write the host as the URL parser reads it (${JSON.stringify(url.hostname)}), so that it matches requests`,
    );
  }
  if (!hostText.startsWith("[") && !/^[0-9.]+$/.test(hostText)) {
    if (hostText.length > 253 || !hostText.split(".").every((l) => LABEL.test(l)))
      return fail(`${shown}: a host name holds only letters, digits, '-' and '.'`);
  }
  const port = portText === undefined ? undefined : Number(portText);
  return {
    ok: true,
    grant: { host: hostText, port },
    text: port === undefined ? hostText : `${hostText}:${port}`,
  };
}

/** Why a request is refused, or the URL to fetch. */
export type NetCheck =
  | { readonly ok: true; readonly href: string }
  | { readonly ok: false; readonly name: "NetworkDeniedError" | "NetworkError"; readonly message: string };

/** The port a URL goes to. */
function portOf(url: ParsedUrl): number {
  if (url.port !== "") return Number(url.port);
  return url.protocol === "https:" ? 443 : 80;
}

/**
 * Checks a URL against a step's grant entries (as {@link parseNetGrant} normalised them).
 * `stepId` is only for the message.
 */
export function checkNetUrl(raw: string, hosts: readonly string[], stepId: string): NetCheck {
  let url: ParsedUrl;
  try {
    url = new UrlParser(raw);
  } catch {
    return { ok: false, name: "NetworkError", message: `${JSON.stringify(raw.slice(0, 200))} is not a URL` };
  }
  const deny = (message: string): NetCheck => ({ ok: false, name: "NetworkDeniedError", message });
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return deny(`only http: and https: URLs can be fetched, not ${url.protocol} (step ${stepId})`);
  if (url.username !== "" || url.password !== "")
    return deny(`URLs with user info (user@host) are refused (step ${stepId})`);
  if (hosts.length === 0) return deny(`step ${stepId} has no network grant (allow.net)`);
  const port = portOf(url);
  const defaultPort = url.protocol === "https:" ? 443 : 80;
  for (const entry of hosts) {
    const parsed = parseNetGrant(entry);
    if (!parsed.ok) continue;
    const g = parsed.grant;
    if (g.host === url.hostname && (g.port ?? defaultPort) === port) return { ok: true, href: url.href };
  }
  return deny(`host ${url.hostname}${url.port === "" ? "" : `:${url.port}`} not granted to step ${stepId}`);
}
