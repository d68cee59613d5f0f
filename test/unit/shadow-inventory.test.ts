import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  createInventorySyncActivities,
  type InventorySyncDeps,
} from '../../activities/inventory/sync-activities';
import {
  INVENTORY_ACTIVITY_NAMES,
  SHADOW_NO_INVENTORY,
  shadowInventoryActivities,
} from '../../worker/shadow';

// A shadow worker registers every inventory activity under its real name, each failing at once (not
// retried) with what to do; an activity it lacked would leave that step of a sync waiting on the queue.

describe('shadow mode inventory activities', () => {
  it('cover every inventory activity the live worker registers', () => {
    // Building the activities does no work; their names are the object's keys.
    const live = Object.keys(createInventorySyncActivities({} as InventorySyncDeps)).sort();
    const shadow = Object.keys(shadowInventoryActivities('INVENTORY_STOCK_SOURCE_MAIN')).sort();
    expect(shadow).toEqual(expect.arrayContaining(live));
    expect([...INVENTORY_ACTIVITY_NAMES].sort()).toEqual(shadow);
  });

  it('each fails non-retryable with the shadow message naming the setting', async () => {
    const acts = shadowInventoryActivities('INVENTORY_STOCK_SOURCE_MAIN');
    for (const [name, fn] of Object.entries(acts)) {
      const err = await fn({ runKey: 'r' }).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(ApplicationFailure);
      const f = err as ApplicationFailure;
      expect(f.type).toBe(SHADOW_NO_INVENTORY);
      expect(f.nonRetryable).toBe(true);
      expect(f.message).toMatch(
        /^shadow mode: this worker does not push inventory; leave INVENTORY_STOCK_SOURCE_MAIN unset until the source is live, or run a live worker/,
      );
    }
  });
});
