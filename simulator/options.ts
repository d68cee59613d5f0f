import { type FaultConfig } from './faults';
import { type SeedOptions } from './fr-store';
import { type InventorySeed } from './inventory-store';
import { type RateLimitConfig } from './rate-limiter';

// Everything configurable about the simulated Flxpoint, with the defaults that match what is known about the
// real one (docs/simulator.md lists each). Where Flxpoint's pages disagree, the simulator accepts both readings.

export type ListEnvelope = 'items' | 'data' | 'array';
export type AckMethod = 'POST' | 'PATCH';
/** `guide`: `status`/`page`/`size`; `reference`: `filterStatus`/`filterPageNumber`/`filterPageSize`. */
export type ListDialectName = 'guide' | 'reference';
export type ErrorWording = 'canonical' | 'random';
export type InventoryModifyDefault = 'none' | 'update' | 'updateNonNull';

/** Knobs that may change while the simulator runs (admin `PATCH /__admin/behavior`). */
export interface SimulatorBehavior {
  /** How `GET /fulfillment-requests` wraps its list. Shipments and orders always answer a bare array. */
  listEnvelope: ListEnvelope;
  /** Methods accepted on `/acknowledge`; the other one gets 405. */
  acknowledgeMethods: AckMethod[];
  /** Default for shipments that do not send `allowDuplicateTrackingNumbers`. */
  allowDuplicateTrackingNumbers: boolean;
  /** Status of the duplicate tracking number answer (the real one is an undocumented 4xx). */
  duplicateTrackingStatus: 400 | 409;
  /** The source's saved setting used when adjust sends `cancelUnacknowledgedItemQuantity: null`. */
  sourceCancelsUnacknowledged: boolean;
  /**
   * Query dialects `GET /fulfillment-requests` and `/count` honour. Parameters of a dialect not listed are
   * ignored, as public clients report the real API does with unknown parameters: `status=NEW` then returns
   * every FR, unpaged by `page`/`size`.
   */
  listDialects: ListDialectName[];
  /**
   * `canonical`: 4xx bodies carry fixed phrases (`already acknowledged`, `duplicate tracking number`…).
   * `random`: the same statuses with wording drawn per run from unrelated phrases, since Flxpoint documents
   * none; a client must decide from Flxpoint's state, not from the words.
   */
  errorWording: ErrorWording;
  /**
   * What an absent `modifyX` switch on `PUT /inventory/variants` means (undocumented). Default
   * `updateNonNull`; `none` proves a client sends explicit switches for what it means to change.
   */
  inventoryModifyDefault: InventoryModifyDefault;
  /** `PUT /inventory/variants` answers per-item results (`results`) or an empty 204 (`empty`): undocumented. */
  inventoryPutResponse: 'results' | 'empty';
  /**
   * How `GET /inventory/variants` reads its `array[string]` parameters (`skus`, `ids`): undocumented.
   * `both` (default): repeated and comma-separated; `comma`: the first value only, split at commas
   * (`skus=a&skus=b` finds only a); `repeat`: each value is one element (`skus=a,b` looks for "a,b").
   */
  arrayQueryForm: 'both' | 'comma' | 'repeat';
}

export interface SimulatorOptions extends Partial<SimulatorBehavior> {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** API token → sourceId. Default: `dev-token` → 1001, `dev-token-2` → 1002. */
  tokens?: Record<string, number>;
  rateLimit?: Partial<RateLimitConfig>;
  /** Seed of the RNG behind fake data and faults; same seed, same run. Default 1. */
  randomSeed?: number;
  /** FRs created at start (and again on admin reset). */
  seed?: SeedOptions | SeedOptions[];
  faults?: FaultConfig;
  /** Serve `/__admin/` (default true). Off, those paths answer 404 like any unknown path. */
  admin?: boolean;
  /**
   * Id of the first FR (default 1). A simulator restarted against a Temporal that kept its state must not
   * hand out ids it used before: FR workflow ids (`fr:<sourceId>:<frId>`) are deterministic.
   */
  firstFrId?: number;
  /** Catalog created at start (and again on admin reset): one parent with one variant per SKU. */
  inventory?: InventorySeed | InventorySeed[];
}

export const DEFAULT_TOKENS: Readonly<Record<string, number>> = Object.freeze({
  'dev-token': 1001,
  'dev-token-2': 1002,
});

// Defaults follow the documented reference contract: a bare array (the sibling endpoint's schema and
// public clients), `filterStatus`/`filterPageNumber`/`filterPageSize` only, and unknown parameters (the
// guide's `status`/`page`/`size`) silently ignored, as public clients report of the real API. Acknowledge
// accepts both methods: the pages disagree (guide POST, reference PATCH) and neither is known to be refused.
export const DEFAULT_BEHAVIOR: Readonly<SimulatorBehavior> = Object.freeze<SimulatorBehavior>({
  listEnvelope: 'array',
  acknowledgeMethods: ['POST', 'PATCH'],
  allowDuplicateTrackingNumbers: false,
  duplicateTrackingStatus: 400,
  sourceCancelsUnacknowledged: false,
  listDialects: ['reference'],
  errorWording: 'canonical',
  inventoryModifyDefault: 'updateNonNull',
  inventoryPutResponse: 'results',
  arrayQueryForm: 'both',
});

export function validateBehavior(b: SimulatorBehavior): SimulatorBehavior {
  if (!['items', 'data', 'array'].includes(b.listEnvelope)) {
    throw new RangeError(`listEnvelope must be items, data or array, got ${String(b.listEnvelope)}`);
  }
  if (
    !Array.isArray(b.acknowledgeMethods) ||
    b.acknowledgeMethods.length === 0 ||
    b.acknowledgeMethods.some((m) => m !== 'POST' && m !== 'PATCH')
  ) {
    throw new RangeError('acknowledgeMethods must be a non-empty list of POST and/or PATCH');
  }
  if (b.duplicateTrackingStatus !== 400 && b.duplicateTrackingStatus !== 409) {
    throw new RangeError('duplicateTrackingStatus must be 400 or 409');
  }
  if (
    !Array.isArray(b.listDialects) ||
    b.listDialects.length === 0 ||
    b.listDialects.some((d) => d !== 'guide' && d !== 'reference')
  ) {
    throw new RangeError('listDialects must be a non-empty list of guide and/or reference');
  }
  if (b.errorWording !== 'canonical' && b.errorWording !== 'random') {
    throw new RangeError(`errorWording must be canonical or random, got ${String(b.errorWording)}`);
  }
  if (!['none', 'update', 'updateNonNull'].includes(b.inventoryModifyDefault)) {
    throw new RangeError('inventoryModifyDefault must be none, update or updateNonNull');
  }
  if (b.inventoryPutResponse !== 'results' && b.inventoryPutResponse !== 'empty') {
    throw new RangeError('inventoryPutResponse must be results or empty');
  }
  if (!['both', 'comma', 'repeat'].includes(b.arrayQueryForm)) {
    throw new RangeError(`arrayQueryForm must be both, comma or repeat, got ${String(b.arrayQueryForm)}`);
  }
  return {
    inventoryModifyDefault: b.inventoryModifyDefault,
    inventoryPutResponse: b.inventoryPutResponse,
    arrayQueryForm: b.arrayQueryForm,
    listEnvelope: b.listEnvelope,
    listDialects: [...new Set(b.listDialects)],
    errorWording: b.errorWording,
    acknowledgeMethods: [...new Set(b.acknowledgeMethods)],
    allowDuplicateTrackingNumbers: Boolean(b.allowDuplicateTrackingNumbers),
    duplicateTrackingStatus: b.duplicateTrackingStatus,
    sourceCancelsUnacknowledged: Boolean(b.sourceCancelsUnacknowledged),
  };
}
