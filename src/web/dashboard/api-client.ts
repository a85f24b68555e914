/** The dashboard's requests to its own server, with the session's bearer token. */

const TOKEN_KEY = "sandflow-token";

/** The server refused the token (or none was given). */
export class Unauthorized extends Error {
  override name = "Unauthorized";
}

/** The token kept for this browser session, if any. */
export function sessionToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** Keeps `token` for this session (until the tab closes). */
export function keepToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

/** A JSON request to the API; throws {@link Unauthorized} on 401 and an Error with the server's message otherwise. */
export async function call<T>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<T> {
  const token = sessionToken();
  const response = await fetch(path, {
    method,
    headers: {
      ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const parsed = (await response.json().catch(() => undefined)) as
    | { error?: { message?: string } }
    | undefined;
  if (response.status === 401) throw new Unauthorized(parsed?.error?.message ?? "the server needs a token");
  if (!response.ok) throw new Error(parsed?.error?.message ?? `${method} ${path}: ${response.status}`);
  return parsed as T;
}
