import type { FrHandler } from './types';

// The embedded default: every FR is acknowledged in full. Useful to run the pipeline end to end before
// the real ERP/WMS hand-off exists, and as the smallest example of a handler.
export const acceptAllHandler: FrHandler = {
  name: 'accept-all',
  async decide() {
    return { kind: 'accept' };
  },
};
