// Schema-breaking bodies for the `schemaBreak` fault: valid JSON whose shape a strict client must reject, so
// tests can prove a broken FR is reported (with its field path) without hiding its valid neighbours.

/** Makes one FR of the body invalid: its first item's quantity becomes a string. `pick` chooses which FR. */
export function breakSchema(body: unknown, pick: (n: number) => number): unknown {
  const clone = JSON.parse(JSON.stringify(body ?? null)) as unknown;
  const list = asList(clone);
  if (list) {
    if (list.length > 0) breakOne(list[pick(list.length)]);
    return clone;
  }
  if (isObject(clone)) {
    breakOne(clone);
    return clone;
  }
  // A bare number (count) or null: replace with something no schema accepts.
  return { unexpected: true };
}

function breakOne(v: unknown): void {
  if (!isObject(v)) return;
  const items = v.fulfillmentRequestItems;
  if (Array.isArray(items) && isObject(items[0])) {
    items[0].quantity = 'two';
    return;
  }
  if ('count' in v) {
    v.count = 'many';
    return;
  }
  // Not an FR (shipment, order): break its id instead.
  v.id = `broken-${String(v.id)}`;
}

function asList(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (isObject(v)) {
    if (Array.isArray(v.items)) return v.items;
    if (Array.isArray(v.data)) return v.data;
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A JSON body cut mid-way, like a transfer that stopped early behind a proxy. */
export function truncate(text: string): string {
  return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
}
