import { z } from 'zod';
import type { FrItem, FulfillmentRequestSnapshot, HandlerDecision } from '../common/domain';
import { ledgerItem, openQuantity as ledgerOpenQuantity } from '../workflows/fr-quantities';

// Every decision, whoever produced it (HTTP endpoint, custom module), passes here before the pipeline acts
// on it: a wrong quantity sent to Flxpoint's adjust endpoint cannot be taken back.

/** Flxpoint sends reasons on as processing-failed / cancel text; keep them short enough to read. */
export const MAX_REASON_LENGTH = 500;

/** Zod's type-mismatch message, split so a missing field reads "is required". */
const expected = (what: string) => (iss: { input?: unknown }) =>
  iss.input === undefined ? 'is required' : `must be ${what}`;

const reason = z
  .string({ error: expected('a string') })
  .trim()
  .min(1, 'must not be empty')
  .max(MAX_REASON_LENGTH, `must be at most ${MAX_REASON_LENGTH} characters`);

// Flxpoint's own default for adjust is `fill` (re-route the cancelled units), so omitting it is safe.
const killOrFillType = z.enum(['fill', 'kill'], { error: 'must be "fill" or "kill"' }).default('fill');

const quantity = z
  .number({ error: expected('a number') })
  .int('must be a whole number')
  .min(0, 'must not be negative');

export const handlerDecisionSchema = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('accept') }),
    z.object({
      kind: z.literal('partial'),
      // Flxpoint's adjust treats an empty item list as "acknowledge everything": never send one by mistake.
      items: z
        .array(
          z.object({
            id: z.number({ error: expected('a number (the FR item id)') }).int('must be a whole number'),
            acknowledgedQuantity: quantity,
          }),
          {
            error: expected('an array of { id, acknowledgedQuantity }'),
          },
        )
        .min(1, 'must list at least one item (use kind "accept" to acknowledge everything)'),
      killOrFillType,
    }),
    z.object({ kind: z.literal('reject'), reason, killOrFillType }),
    z.object({ kind: z.literal('fail'), reason }),
  ],
  {
    error: (iss) =>
      iss.input !== null && typeof iss.input === 'object'
        ? 'must be one of "accept", "partial", "reject", "fail"'
        : 'must be a JSON object like { "kind": "accept" }',
  },
);

// Compile-time guard: the schema's output is exactly the domain type the workflow uses.
type Parsed = z.output<typeof handlerDecisionSchema>;
const _sameShape: [
  Parsed extends HandlerDecision ? true : false,
  HandlerDecision extends Parsed ? true : false,
] = [true, true];

export interface DecisionIssue {
  /** Path inside the decision, e.g. `items[1].acknowledgedQuantity`; `(decision)` for the whole value. */
  field: string;
  message: string;
}

/** The decision is malformed or contradicts the FR. A business failure: retrying returns the same. */
export class DecisionValidationError extends Error {
  readonly field: string;
  constructor(
    readonly frId: number,
    readonly issues: DecisionIssue[],
  ) {
    super(
      `invalid handler decision for FR ${frId}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
    );
    this.name = 'DecisionValidationError';
    this.field = issues[0]?.field ?? '(decision)';
  }
}

/**
 * Units of an item still waiting for a decision: ordered, minus what is already acknowledged, cancelled or
 * voided. A partial decision acknowledges up to this many; the rest of it is cancelled. The same count the
 * FR workflow adjusts with (workflows/fr-quantities.ts): one meaning of "open".
 */
export function openQuantity(item: FrItem): number {
  return ledgerOpenQuantity(ledgerItem(item));
}

/** Parses and cross-checks a decision against its FR; throws DecisionValidationError naming the field. */
export function validateDecision(fr: FulfillmentRequestSnapshot, raw: unknown): HandlerDecision {
  const parsed = handlerDecisionSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DecisionValidationError(
      fr.id,
      parsed.error.issues.map((i) => ({ field: formatPath(i.path), message: i.message })),
    );
  }
  const decision = parsed.data;
  if (decision.kind === 'partial') {
    const byId = new Map(fr.fulfillmentRequestItems.map((item) => [item.id, item]));
    const seen = new Set<number>();
    const issues: DecisionIssue[] = [];
    decision.items.forEach((d, i) => {
      const item = byId.get(d.id);
      if (!item) {
        const known = [...byId.keys()].join(', ') || 'none';
        issues.push({
          field: `items[${i}].id`,
          message: `${d.id} is not an item of FR ${fr.id} (its item ids: ${known})`,
        });
        return;
      }
      if (seen.has(d.id)) issues.push({ field: `items[${i}].id`, message: `item ${d.id} is listed twice` });
      seen.add(d.id);
      const open = openQuantity(item);
      if (d.acknowledgedQuantity > open) {
        issues.push({
          field: `items[${i}].acknowledgedQuantity`,
          message: `${d.acknowledgedQuantity} exceeds the open quantity ${open} of item ${d.id} (sku ${item.sku})`,
        });
      }
    });
    if (issues.length > 0) throw new DecisionValidationError(fr.id, issues);
  }
  return decision;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(decision)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}
