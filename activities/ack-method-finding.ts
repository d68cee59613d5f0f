import { log } from '@temporalio/activity';
import type { AcknowledgeMethodFinding } from './flxpoint/client';

// What the worker says when `/acknowledge` answered 404/405 to the configured method and the other method
// was tried (activities/flxpoint/client.ts): the operator should set FLXPOINT_ACK_METHOD to what this
// server accepts, so every acknowledge costs one request again. Called inside the acknowledge activity.

export function logAcknowledgeMethodFinding(f: AcknowledgeMethodFinding): void {
  const attrs = { configured: f.configured, status: f.status, tried: f.tried, worked: f.worked };
  if (f.worked) {
    log.warn(
      `Flxpoint refused ${f.configured} /acknowledge (HTTP ${f.status}) and accepted ${f.tried}: ` +
        `set FLXPOINT_ACK_METHOD=${f.tried} (this worker uses ${f.tried} from now on)`,
      attrs,
    );
  } else {
    log.warn(
      `Flxpoint refused ${f.configured} /acknowledge (HTTP ${f.status}) and ${f.tried} too: check ` +
        'FLXPOINT_BASE_URL and FLXPOINT_ACK_METHOD (npm run cli -- doctor)',
      attrs,
    );
  }
}
