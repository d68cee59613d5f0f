import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  log,
  metricMeter,
  ParentClosePolicy,
  sleep,
  startChild,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { frWorkflowId, shadowFrWorkflowId } from '../common/ids';
import { FR_ID, FR_STEP, SOURCE_ID, SOURCE_KEY } from '../common/search-attributes';
import type { FrRef } from '../activities';
import type { ListModeTag } from '../activities/shadow-activities';
import { pollerFlxpointActivities } from './activity-proxies';
import type { PollFulfillmentRequestsInput, PollSummary } from './definitions';
import { processFulfillmentRequestWorkflow } from './process-fulfillment-request';

// One poll of one source, started by that source's Temporal Schedule (overlap SKIP: never two pollers
// on one token). It lists FRs waiting for the source page by page (one activity = one HTTP request) and
// starts one child workflow per FR with a deterministic id; Temporal's id uniqueness is the dedupe fence.
//
// Offset shift: the list is paged by offset, and every FR acknowledged while we page (by our own children,
// or by anyone else) leaves the NEW set and shifts later FRs to lower offsets, so a plain forward walk
// skips some. We therefore walk again from page 1 after any pass that found new FRs on more than one
// page; a pass that finds nothing new ends the run. An idle poll costs one request.

//
// Self-defence: the list activity hands on only FRs whose own status says they wait for this source, and
// flags an answer that shows the server ignored the query (other statuses, more than a page). Such a poll
// says so (log, metric flxpoint_list_query_ignored, `filterIgnored` in its result) and stops paging: a
// server that ignores the filter and the paging would otherwise hand us every FR ever made, page after page.
//
// Re-polling: when a poll started FRs and the schedule gave it `repollAfterMs`, it looks again that much
// later, as long as the next scheduled poll is not due: work arriving between polls then waits seconds
// rather than a whole interval, and an idle source still costs one request per interval.

const MAX_PASSES = 5;

export async function pollFulfillmentRequestsWorkflow(
  input: PollFulfillmentRequestsInput,
): Promise<PollSummary> {
  const api = pollerFlxpointActivities(input.sourceKey, input.fr);
  const summary: PollSummary = {
    pagesRead: 0,
    frsSeen: 0,
    childrenStarted: 0,
    alreadyKnown: 0,
    malformed: [],
    passes: 0,
    truncated: false,
  };
  const seen = new Set<number>();
  const started = Date.now();
  for (;;) {
    const before = summary.childrenStarted;
    const stop = await look(input, api, summary, seen);
    if (stop) break;
    const repoll = input.repollAfterMs ?? 0;
    const due = started + (input.pollIntervalMs ?? 0);
    if (repoll <= 0 || summary.childrenStarted === before || Date.now() + repoll >= due) break;
    await sleep(repoll);
    summary.repolls = (summary.repolls ?? 0) + 1;
  }
  log.info('poll finished', { sourceKey: input.sourceKey, ...summary, malformed: summary.malformed.length });
  return summary;
}

/** One look: walks the pages (again while FRs shift, see above). True when the poll must end now. */
async function look(
  input: PollFulfillmentRequestsInput,
  api: ReturnType<typeof pollerFlxpointActivities>,
  summary: PollSummary,
  seen: Set<number>,
): Promise<boolean> {
  for (let pass = 1; pass <= MAX_PASSES; pass++) {
    summary.passes++;
    let foundNew = 0;
    let pagesThisPass = 0;
    const seenThisPass = new Set<number>();
    for (let page = 1; ; page++) {
      const res = await api.listNewFulfillmentRequests({ page, size: input.pageSize });
      summary.pagesRead++;
      pagesThisPass++;
      for (const m of res.malformed) {
        if (
          summary.malformed.length < 50 &&
          !summary.malformed.some((x) => x.id !== undefined && x.id === m.id)
        ) {
          summary.malformed.push(m);
          log.warn('Flxpoint returned a malformed FR: not started, it stays NEW and is retried next poll', {
            sourceKey: input.sourceKey,
            frId: m.id,
            problem: m.problem,
          });
        }
      }
      if (res.notWaiting) summary.notWaitingSkipped = (summary.notWaitingSkipped ?? 0) + res.notWaiting;
      // A later page holding only FRs of earlier pages of this walk: the server ignores the page number.
      const repeated =
        page > 1 && res.refs.length > 0 && res.refs.every((r) => seenThisPass.has(r.id))
          ? `page ${page} repeats FRs of earlier pages: the page number is ignored`
          : undefined;
      for (const r of res.refs) seenThisPass.add(r.id);
      const fresh = res.refs.filter((r) => !seen.has(r.id));
      for (const r of fresh) seen.add(r.id);
      summary.frsSeen += fresh.length;
      // A shadow worker's page (FLXPOINT_MODE=shadow): its FRs get shadow workflows, which never write.
      const shadow = (res as typeof res & ListModeTag).shadow === true;
      foundNew += await startChildren(input, fresh, summary, shadow);
      if (summary.childrenStarted >= input.maxFrsPerRun) {
        summary.truncated = true;
        log.info('poll stopped at maxFrsPerRun; the next scheduled poll continues', {
          sourceKey: input.sourceKey,
        });
        return true;
      }
      const ignored = res.filterIgnored ?? repeated;
      if (ignored) {
        // Every waiting FR on this page was started; the rest waits for the operator to fix the dialect.
        summary.filterIgnored = ignored;
        metricMeter
          .withTags({ source: input.sourceKey })
          .createCounter(
            'flxpoint_list_query_ignored',
            'polls',
            'Polls whose list answer showed Flxpoint ignored the list query (wrong FLXPOINT_LIST_DIALECT)',
          )
          .add(1);
        log.warn(
          'Flxpoint ignored the FR list query; this poll stops paging. Run `npm run cli -- doctor` and set ' +
            'FLXPOINT_LIST_DIALECT as it advises',
          { sourceKey: input.sourceKey, page, evidence: ignored },
        );
        return true;
      }
      if (res.rawCount < input.pageSize) break;
    }
    // A single page cannot have shifted under us; nothing new means nothing was skipped.
    if (foundNew === 0 || pagesThisPass === 1) break;
  }
  return false;
}

/** Starts (without waiting for) one child per FR. Returns how many were new to Temporal. */
async function startChildren(
  input: PollFulfillmentRequestsInput,
  refs: FrRef[],
  summary: PollSummary,
  shadow = false,
): Promise<number> {
  const results = await Promise.allSettled(
    refs.map((ref) =>
      startChild(processFulfillmentRequestWorkflow, {
        // Shadow runs have ids of their own: a completed one never blocks the live run after the switch.
        workflowId: (shadow ? shadowFrWorkflowId : frWorkflowId)(input.sourceId, ref.id),
        args: [
          {
            sourceKey: input.sourceKey,
            sourceId: input.sourceId,
            frId: ref.id,
            frNumber: ref.number,
            settings: input.fr,
            ...(shadow ? { mode: 'shadow' as const } : {}),
          },
        ],
        // The FR outlives this poll: the poller returns long before shipments arrive.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // A completed FR is never processed again; a failed or terminated run may be retried by the
        // next poll (every step is idempotent, so that is safe) as long as the FR is still waiting.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        typedSearchAttributes: [
          { key: FR_ID, value: String(ref.id) },
          { key: SOURCE_ID, value: String(input.sourceId) },
          { key: SOURCE_KEY, value: input.sourceKey },
          { key: FR_STEP, value: 'fetching' },
        ],
        staticSummary: `${shadow ? 'SHADOW · ' : ''}FR ${ref.number ?? ref.id} · source ${input.sourceKey}`,
      }),
    ),
  );
  let started = 0;
  results.forEach((r) => {
    if (r.status === 'fulfilled') started++;
    else if (r.reason instanceof WorkflowExecutionAlreadyStartedError) summary.alreadyKnown++;
    else throw r.reason;
  });
  summary.childrenStarted += started;
  return started;
}
