import type { FrHandler } from './types';

// The embedded default: every FR is acknowledged in full, unless it cannot be fulfilled as sent
// (ctx.problems: no items, a quantity that is not a whole positive number), which it fails with the
// problems as the reason. Useful to run the pipeline end to end before the real ERP/WMS hand-off exists,
// and as the smallest example of a handler.
export const acceptAllHandler: FrHandler = {
  name: 'accept-all',
  async decide(_fr, ctx) {
    if (ctx.problems?.length) return { kind: 'fail', reason: ctx.problems.join('; ').slice(0, 500) };
    return { kind: 'accept' };
  },
};
