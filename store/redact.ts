// Connection strings carry passwords; driver errors sometimes echo them (a malformed URL, a DNS failure on
// a host parsed out of it). Every error leaving the PostgreSQL store passes through here.

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`; other text unchanged. */
export function redactConnectionString(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@?#]*):[^@/?#]*@/i, '$1:***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/** Removes the connection string and its password (raw and URL-decoded) from a message. */
export function redactSecrets(message: string, connectionString: string): string {
  const secrets = new Set<string>();
  secrets.add(connectionString);
  for (const password of passwordsIn(connectionString)) {
    secrets.add(password);
    try {
      secrets.add(decodeURIComponent(password));
    } catch {
      // Not valid percent-encoding: the raw form is already covered.
    }
  }
  let out = message;
  // Longest first, so the whole URL is replaced before a password inside it is.
  for (const s of [...secrets].filter((x) => x.length > 0).sort((a, b) => b.length - a.length)) {
    out = out.split(s).join(s === connectionString ? redactConnectionString(connectionString) : '***');
  }
  return out;
}

function passwordsIn(url: string): string[] {
  const found: string[] = [];
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/[^:/@?#]*:([^@/?#]*)@/i.exec(url);
  if (userinfo?.[1]) found.push(userinfo[1]);
  for (const m of url.matchAll(/[?&]password=([^&#]*)/gi)) if (m[1]) found.push(m[1]);
  return found;
}

/** A copy of err safe to log: message and stack redacted, `code` kept (callers branch on it), cause dropped. */
export function redactError(err: unknown, connectionString: string): Error {
  const source = err instanceof Error ? err : new Error(String(err));
  const safe = new Error(redactSecrets(source.message, connectionString));
  safe.name = source.name;
  if (source.stack) safe.stack = redactSecrets(source.stack, connectionString);
  const code = (source as { code?: unknown }).code;
  if (code !== undefined) (safe as Error & { code?: unknown }).code = code;
  return safe;
}
