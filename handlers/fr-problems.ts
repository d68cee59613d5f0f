import type { FulfillmentRequestSnapshot } from '../common/domain';

// What makes an FR impossible to fulfil as sent, found in one place before the handler sees it. An FR with
// no items, or with a quantity that is not a whole positive number, was acknowledged in full and then
// waited for shipments that could never add up (a fractional quantity can never be shipped; zero or negative
// ones mean nothing to ship). The handler is told (ctx.problems; the http: handler's body `problems`); the
// pipeline never acknowledges such an FR (activities/pipeline-activities.ts), see docs/handlers.md.

/** Each problem names the field and its value, e.g. `fulfillmentRequestItems[2].quantity is 1.5: ...`. */
export function frProblems(fr: FulfillmentRequestSnapshot): string[] {
  const items: unknown = fr.fulfillmentRequestItems;
  if (!Array.isArray(items) || items.length === 0) {
    return ['fulfillmentRequestItems is empty: the FR has nothing to acknowledge or ship'];
  }
  const problems: string[] = [];
  items.forEach((item: unknown, i) => {
    const quantity = (item as { quantity?: unknown } | null)?.quantity;
    if (typeof quantity !== 'number' || !Number.isSafeInteger(quantity) || quantity <= 0) {
      problems.push(
        `fulfillmentRequestItems[${i}].quantity is ${JSON.stringify(quantity) ?? 'missing'}: not a whole positive number`,
      );
    }
  });
  return problems;
}
