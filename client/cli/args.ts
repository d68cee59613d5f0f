import { InvalidArgumentError } from 'commander';
import { SOURCE_KEY_PATTERN } from '../../common/config';

// Argument parsers: every value is checked before the command talks to Temporal, so a typo never
// leaves half an operation behind. Commander reports a thrown InvalidArgumentError as a usage error.

export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value.trim()) || !(Number(value) > 0) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError(`"${value}" is not a positive integer.`);
  }
  return Number(value);
}

export function nonEmpty(value: string): string {
  const v = value.trim();
  if (!v) throw new InvalidArgumentError('must not be empty.');
  if (v.length > 500) throw new InvalidArgumentError('at most 500 characters.');
  return v;
}

/** A source key as the configuration (common/config) accepts it (the schedule id is derived from it). */
export function sourceKey(value: string): string {
  if (!SOURCE_KEY_PATTERN.test(value)) {
    throw new InvalidArgumentError(
      `"${value}" is not a source key (lowercase letters, digits and dashes, at most 40 characters).`,
    );
  }
  return value;
}

export function isoDate(value: string): Date {
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(d.getTime())) {
    throw new InvalidArgumentError(`"${value}" is not an ISO date/time such as 2026-05-01T00:00:00Z.`);
  }
  return d;
}

export interface ShipmentItemArg {
  id: number;
  quantity: number;
}

/** `--item 17:2` (FR item id 17, two units); repeatable, so the previous values accumulate. */
export function shipmentItem(value: string, previous: ShipmentItemArg[] = []): ShipmentItemArg[] {
  const m = /^(\d+):(\d+)$/.exec(value.trim());
  const id = Number(m?.[1]);
  const quantity = Number(m?.[2]);
  if (!m || !(id > 0) || !(quantity > 0) || !Number.isSafeInteger(id) || !Number.isSafeInteger(quantity)) {
    throw new InvalidArgumentError(
      `"${value}" must be <itemId>:<quantity> with positive integers, e.g. 17:2.`,
    );
  }
  return [...previous, { id, quantity }];
}

export function oneOf<T extends string>(allowed: readonly T[]) {
  return (value: string): T => {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`"${value}" is not one of ${allowed.join(', ')}.`);
    }
    return value as T;
  };
}

export function url(value: string): string {
  try {
    const u = new URL(value);
    if (u.protocol === 'http:' || u.protocol === 'https:') return value;
  } catch {
    // fall through
  }
  throw new InvalidArgumentError(`"${value}" is not an http(s) URL.`);
}
