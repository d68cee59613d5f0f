// Names of the simulated Flxpoint endpoints, used as keys for counters and fault rules.

export const ENDPOINTS = [
  'fr.list',
  'fr.count',
  'fr.get',
  'fr.acknowledge',
  'fr.adjust',
  'fr.processingFailed',
  'fr.processed',
  'shipment.create',
  'shipment.list',
  'shipment.get',
  'orders.list',
  'inventory.variants.list',
  'inventory.variants.update',
  'inventory.parents.upsert',
] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export function isEndpoint(v: string): v is Endpoint {
  return (ENDPOINTS as readonly string[]).includes(v);
}
