import { type CaPhase, CA_PHASES, type OrderStatusResult } from '../../src/ca/issuer';
import { WOTRUS_PHASES, WOTRUS_STATUSES } from '../../src/ca/wotrus/statuses';
import { mapCaPhase, progressOf } from '../../src/workflows/ca-progress';

describe('CA progress as the workflow reads it', () => {
  it('takes the phase a new read carries, whatever the CA calls it', () => {
    const read: OrderStatusResult = { caOrderId: 'X', phase: 'validation', status: 'awaiting-dns', payment: 'payLater' };
    expect(progressOf(read)).toMatchObject({ phase: 'validation', status: 'awaiting-dns', payment: 'payLater' });
  });

  it('reads status results recorded before the port (WoTrus words and isPay, no phase) as WoTrus does now', () => {
    for (const status of WOTRUS_STATUSES) {
      const recorded = { caOrderId: 'X', status, isPay: 2 } as unknown as OrderStatusResult;
      expect(progressOf(recorded)).toMatchObject({ phase: WOTRUS_PHASES[status], status, payment: 'payLater' });
    }
  });

  it('maps every phase to an order state with a reason and a message', () => {
    const seen = new Set<string>();
    for (const phase of CA_PHASES as readonly CaPhase[]) {
      const m = mapCaPhase(phase, { pendingLink: 'https://ca.example/p/1', payment: 'unpaid' });
      expect(m.reason).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(m.message.length).toBeGreaterThan(10);
      seen.add(m.reason);
    }
    expect(seen.size).toBe(CA_PHASES.length);
    expect(mapCaPhase('validation', { pendingLink: 'https://ca.example/p/1', payment: 'unpaid' }).message).toContain('https://ca.example/p/1');
    expect(mapCaPhase('review', { payment: 'unpaid' }).message).toContain('unpaid');
  });
});
