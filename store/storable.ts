// Text PostgreSQL cannot hold. Flxpoint (or a warehouse, through the intake) can hand us strings with a NUL
// character (U+0000) or a lone UTF-16 surrogate: `text` refuses the first, `jsonb` refuses both
// ("unsupported Unicode escape sequence", SQLSTATE 22P05) on every attempt, so a commit or a shipment record
// would fail forever on data it cannot change. Both stores pass every value through here before it reaches
// SQL: each such character becomes U+FFFD (the Unicode replacement character), visible where it was, and
// the rest of the text is kept as is. Only the local copy changes; what Flxpoint holds is untouched.

export const REPLACEMENT_CHARACTER = '\uFFFD';

const NUL = /\u0000/g;
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The string with every NUL and lone surrogate replaced by U+FFFD (same string back when it had none). */
export function storableText(s: string): string {
  return s.replace(NUL, REPLACEMENT_CHARACTER).replace(LONE_SURROGATE, REPLACEMENT_CHARACTER);
}

/** A copy of a JSON value with every string (object keys too) made storable. */
export function storableJson<T>(value: T): T {
  return walk(value) as T;
}

function walk(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(walk);
  if (value !== null && typeof value === 'object') {
    // toJSON first (a Date becomes its ISO string), as JSON.stringify would.
    const json = (value as { toJSON?: () => unknown }).toJSON;
    if (typeof json === 'function') return walk(json.call(value));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[storableText(k)] = walk(v);
    return out;
  }
  return value;
}
