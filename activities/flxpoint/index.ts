// Public surface of the Flxpoint client. Activities import from here.
export { FlxpointClient, type FlxpointClientOptions, type ListResult } from './client';
export {
  type AcknowledgeMethod,
  type ListDialect,
  DEFAULT_ACKNOWLEDGE_METHOD,
  DEFAULT_LIST_DIALECT,
  NEW_STATUS,
  newWorkStatus,
} from './dialect';
export {
  FlxpointError,
  type FlxpointErrorKind,
  classifyResponse,
  isRetryableKind,
  parseRetryAfter,
  toApplicationFailure,
} from './errors';
export {
  type AdjustItem,
  type AdjustRequest,
  type Address,
  type CreateShipmentItem,
  type CreateShipmentRequest,
  type FRItem,
  type FulfillmentRequest,
  type KillOrFillType,
  type Shipment,
  type ShipmentItem,
  type StatusRef,
  toSnapshot,
} from './schemas';
export {
  type InventoryItemResult,
  type InventoryParentResult,
  type InventoryVariant,
  itemErrorText,
} from './inventory-schemas';
