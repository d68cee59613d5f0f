import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarnessActivities } from '../fixtures/harness/activities';
import { connectTemporal, uniqueTaskQueue, withWorker, type TestTemporal } from '../helpers/temporal';
import { ALL_SEARCH_ATTRIBUTES } from '../../common/search-attributes';

// Proves the harness: a real dev server, a real worker, a workflow that calls an activity.
describe('test harness', () => {
  let t: TestTemporal;
  beforeAll(async () => {
    t = await connectTemporal();
  });
  afterAll(async () => t?.close());

  it('runs a workflow and its activity on the real dev server', async () => {
    const taskQueue = uniqueTaskQueue('harness');
    const result = await withWorker(
      t,
      {
        taskQueue,
        workflowsPath: join(__dirname, '../fixtures/harness/workflows.ts'),
        activities: createHarnessActivities('Hello'),
      },
      () =>
        t.client.workflow.execute('greetingWorkflow', {
          taskQueue,
          workflowId: `harness-${taskQueue}`,
          args: [{ name: 'flxpoint' }],
        }),
    );
    expect(result).toBe('HELLO, FLXPOINT!');
    const history = await t.client.workflow.getHandle(`harness-${taskQueue}`).fetchHistory();
    const scheduled = history.events?.filter((e) => e.activityTaskScheduledEventAttributes) ?? [];
    expect(scheduled).toHaveLength(1);
  });

  it('has the project search attributes registered on the server', async () => {
    const res = await t.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    const registered = Object.keys(res.customAttributes ?? {});
    for (const key of ALL_SEARCH_ATTRIBUTES) expect(registered).toContain(key.name);
  });
});
