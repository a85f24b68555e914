/** Postgres URLs, without loading the Postgres client (the CLI checks them on every start). */

/** True for a `postgres://` or `postgresql://` URL. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/** `postgres://user@host:port/db` without the password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    return u.toString();
  } catch {
    return "postgres (unparsable URL)";
  }
}
