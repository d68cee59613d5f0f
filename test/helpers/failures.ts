import { ActivityFailure, ApplicationFailure } from '@temporalio/common';

// Failures as Temporal delivers them: a chain (WorkflowFailedError → ActivityFailure → ApplicationFailure).
// Tests assert the chain link by link, class and type included, instead of matching one flattened string:
// a refactor that turns a validation error into a timeout must fail the test, not pass on a similar text.

export interface FailureLink {
  /** The class: WorkflowFailedError, WorkflowUpdateFailedError, ActivityFailure, ApplicationFailure... */
  name: string;
  message: string;
  /** ApplicationFailure's type (the error class name thrown in the activity or workflow, or the given type). */
  type?: string | null;
  nonRetryable?: boolean;
  /** ActivityFailure's activity type. */
  activityType?: string;
}

/** The error and its causes, outermost first. */
export function failureChain(err: unknown): FailureLink[] {
  const chain: FailureLink[] = [];
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 10; depth++) {
    const link: FailureLink = { name: e.name, message: e.message };
    if (e instanceof ApplicationFailure) {
      link.type = e.type;
      link.nonRetryable = e.nonRetryable ?? undefined;
    }
    if (e instanceof ActivityFailure) link.activityType = e.activityType;
    chain.push(link);
    e = e.cause;
  }
  return chain;
}

/** One line for a failure message: `WorkflowFailedError → ActivityFailure(decide) → ApplicationFailure[T]: msg`. */
export function describeFailure(err: unknown): string {
  const chain = failureChain(err);
  const links = chain.map(
    (l) => `${l.name}${l.activityType ? `(${l.activityType})` : ''}${l.type ? `[${l.type}]` : ''}`,
  );
  const last = chain.at(-1);
  return `${links.join(' → ')}${last ? `: ${last.message}` : ''}`;
}

/** Resolves with what `p` rejected with; fails (saying what it resolved to) when it did not reject. */
export async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  let value: unknown;
  try {
    value = await p;
  } catch (err) {
    return err;
  }
  throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
}
