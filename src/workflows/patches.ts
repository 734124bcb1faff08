import { patched } from '@temporalio/workflow';

/**
 * Patch id: every patch is asked at the start of a run, before any local activity.
 *
 * Asked for the first time right after an inline CA read (a local activity), a patch could
 * be recorded in a later workflow task than the replay asks it in: when the local activity
 * finishes just as the worker completes its task, the marker goes into that task and the
 * code goes on in the next one, while a replay resolves the read — and reaches `patched()` —
 * one task earlier ("patch marker encountered … but there is no corresponding change
 * command"; found on an ended order's query, docs/workflow-versioning.md). Asked up front,
 * every marker is written in the run's first task and later calls are answered from memory.
 * Runs recorded before it keep asking where they did.
 */
export const PATCHES_UP_FRONT_PATCH = 'patches-up-front';

/** Every patch id of the workflows (a unit test checks the list against their exports). */
export const WORKFLOW_PATCH_IDS = [
  'poll-jitter-v2',
  'retrieve-while-pending-issuance',
  'inline-ca-reads',
  'answer-cancel-once-issued',
  'customer-action-events',
  'ca-statuses-as-written',
  'replaced-certificate-as-written',
  'bound-rsa-order',
  'bound-order-compensation',
  'reissue-customer-action',
  'single-billing-event-on-reissue',
] as const;

/** At the very start of every workflow run, before its first local activity. */
export function askPatchesUpFront(): void {
  if (!patched(PATCHES_UP_FRONT_PATCH)) return;
  for (const id of WORKFLOW_PATCH_IDS) patched(id);
}
