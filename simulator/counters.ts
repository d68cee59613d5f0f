import { type Endpoint } from './endpoints';

// What the simulator saw, for assertions ("the FR was acknowledged exactly once", "a second ack attempt was
// made") and for the benchmark. Keys are strings so the snapshot is plain JSON for the admin API.

export interface CountersSnapshot {
  requestsTotal: number;
  requestsByEndpoint: Record<string, number>;
  /** Keyed by token fingerprint (see tokenFingerprint), never by the token itself. */
  requestsByToken: Record<string, number>;
  responsesByStatus: Record<string, number>;
  unauthorized: number;
  /** Every 429 sent: rate limiter plus injected. */
  tooManyRequests: number;
  rateLimitedByToken: Record<string, number>;
  faultsInjected: Record<string, number>;
  /** Every acknowledge request that reached an existing FR of the token's source, accepted or not. */
  ackAttemptsByFr: Record<string, number>;
  ackSuccessByFr: Record<string, number>;
  acksBySomeoneElse: Record<string, number>;
  adjustsByFr: Record<string, number>;
  processingFailedByFr: Record<string, number>;
  processedByFr: Record<string, number>;
  /** Shipments created (successfully) per FR and per tracking number. */
  shipmentsByFr: Record<string, number>;
  shipmentsByTrackingNumber: Record<string, number>;
  shipmentAttemptsByFr: Record<string, number>;
  frsGenerated: number;
  /** Successful variant updates per SKU (PUT /inventory/variants and POST /inventory/parents). */
  variantUpdatesBySku: Record<string, number>;
  /** Items sent in inventory writes, and those that failed inside a 2xx. */
  inventoryItemsSent: number;
  inventoryItemFailures: number;
}

type MapKeys = {
  [K in keyof CountersSnapshot]: CountersSnapshot[K] extends Record<string, number> ? K : never;
}[keyof CountersSnapshot];

export class Counters {
  private c: CountersSnapshot = empty();

  inc(map: MapKeys, key: string | number, by = 1): void {
    const m = this.c[map];
    m[String(key)] = (m[String(key)] ?? 0) + by;
  }

  request(endpoint: Endpoint | 'unknown', tokenKey: string | undefined): void {
    this.c.requestsTotal++;
    this.inc('requestsByEndpoint', endpoint);
    if (tokenKey) this.inc('requestsByToken', tokenKey);
  }

  response(status: number): void {
    this.inc('responsesByStatus', status);
    if (status === 429) this.c.tooManyRequests++;
    if (status === 401) this.c.unauthorized++;
  }

  inventoryItems(sent: number, failed: number): void {
    this.c.inventoryItemsSent += sent;
    this.c.inventoryItemFailures += failed;
  }

  generated(n: number): void {
    this.c.frsGenerated += n;
  }

  snapshot(): CountersSnapshot {
    return structuredClone(this.c);
  }

  reset(): void {
    this.c = empty();
  }
}

function empty(): CountersSnapshot {
  return {
    requestsTotal: 0,
    requestsByEndpoint: {},
    requestsByToken: {},
    responsesByStatus: {},
    unauthorized: 0,
    tooManyRequests: 0,
    rateLimitedByToken: {},
    faultsInjected: {},
    ackAttemptsByFr: {},
    ackSuccessByFr: {},
    acksBySomeoneElse: {},
    adjustsByFr: {},
    processingFailedByFr: {},
    processedByFr: {},
    shipmentsByFr: {},
    shipmentsByTrackingNumber: {},
    shipmentAttemptsByFr: {},
    frsGenerated: 0,
    variantUpdatesBySku: {},
    inventoryItemsSent: 0,
    inventoryItemFailures: 0,
  };
}
