import { DEFAULT_CUSTOMER_REMINDERS_MS, DEFAULT_LAST_REMINDER_BEFORE_DEADLINE_MS } from '../../src/domain/order-states';
import { orderPolicySchema } from '../../src/domain/order';
import { mapCaPhase } from '../../src/workflows/ca-progress';
import { customerTasksNow, reminderLadder } from '../../src/workflows/customer-action';

const DAY = 86_400_000;
const since = Date.parse('2026-12-01T00:00:00Z');
const days = (ts: number[]): number[] => ts.map((t) => (t - since) / DAY);

describe('reminderLadder', () => {
  it('defaults: 1, 3, 7, 14 days after the first notice and 3 days before a 30-day deadline', () => {
    expect(days(reminderLadder(since, since + 30 * DAY, orderPolicySchema.parse({})))).toEqual([1, 3, 7, 14, 27]);
  });

  it('policies recorded before the fields existed get the same defaults', () => {
    expect(reminderLadder(since, since + 30 * DAY, {})).toEqual(reminderLadder(since, since + 30 * DAY, { customerRemindersMs: [...DEFAULT_CUSTOMER_REMINDERS_MS], customerLastReminderBeforeDeadlineMs: DEFAULT_LAST_REMINDER_BEFORE_DEADLINE_MS }));
  });

  it('nothing at or after the deadline, no duplicates, in order; 0 turns the last-call reminder off', () => {
    expect(days(reminderLadder(since, since + 10 * DAY, { customerRemindersMs: [7 * DAY, 1 * DAY, 14 * DAY], customerLastReminderBeforeDeadlineMs: 3 * DAY }))).toEqual([1, 7]);
    expect(days(reminderLadder(since, since + 10 * DAY, { customerRemindersMs: [2 * DAY], customerLastReminderBeforeDeadlineMs: 0 }))).toEqual([2]);
    expect(reminderLadder(since, since + 2 * DAY, { customerRemindersMs: [], customerLastReminderBeforeDeadlineMs: 5 * DAY })).toEqual([]);
  });
});

describe('customerTasksNow', () => {
  it('validation always expects the domain validation, with whatever else the CA reports missing', () => {
    expect(customerTasksNow('validation', undefined, true)).toEqual(['validateDomain']);
    expect(customerTasksNow('validation', ['submitCsr'], true)).toEqual(['validateDomain', 'submitCsr']);
  });

  it('pendingAutoIssue waits for the customer only as written (the patch)', () => {
    expect(customerTasksNow('autoIssuance', ['validateDomain'], true)).toEqual(['validateDomain']);
    expect(customerTasksNow('autoIssuance', ['validateDomain'], false)).toBeUndefined();
  });

  it('review: only what the CA says is missing (DCV comes later); nothing for the CA\'s own steps', () => {
    expect(customerTasksNow('manualReview', ['validateDomain'], true)).toBeUndefined();
    expect(customerTasksNow('review', ['uploadDocuments', 'validateDomain'], true)).toEqual(['uploadDocuments']);
    for (const phase of ['issuance', 'issued', 'closed', 'rejected', 'unknown'] as const) expect(customerTasksNow(phase, ['uploadDocuments'], true)).toBeUndefined();
  });
});

describe('mapCaPhase as written', () => {
  it('autoIssuance is still validation, with the link; before the patch it read as issuance', () => {
    expect(mapCaPhase('autoIssuance', { pendingLink: 'https://ca.example/x' }, true)).toMatchObject({ state: 'awaitingValidation', reason: 'DomainValidationPendingAutoIssue' });
    expect(mapCaPhase('autoIssuance', { pendingLink: 'https://ca.example/x' }, true).message).toContain('https://ca.example/x');
    expect(mapCaPhase('autoIssuance', {}, false)).toMatchObject({ state: 'awaitingIssuance', reason: 'CaAutoIssuePending' });
  });

  it('closed is the CA\'s own close', () => {
    expect(mapCaPhase('closed', {}, true)).toMatchObject({ state: 'cancelled', reason: 'ClosedByCa' });
    expect(mapCaPhase('closed', {}, false)).toMatchObject({ reason: 'CaClosed' });
  });

  it('pending (manual review) and unknown', () => {
    expect(mapCaPhase('manualReview', {}, true)).toMatchObject({ state: 'awaitingReview', reason: 'CaManualReview' });
    expect(mapCaPhase('unknown', {}, true)).toMatchObject({ state: 'needsAttention', reason: 'CaStatusUnknown' });
  });
});
