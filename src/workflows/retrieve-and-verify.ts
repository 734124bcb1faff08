import { condition, sleep } from '@temporalio/workflow';
import type { VerifyResult } from '../activities';
import { CaErrorType } from '../ca/errors';
import type { RetrievedCertificate } from '../ca/issuer';
import { checkActivities, inlineChecks } from './activity-stubs';
import { type AttentionControl, withAttention } from './attention';
import { failureType } from './failures';
import { readCertificate, readsInline } from './inline-first';

/**
 * Retrieves the PEMs of an issued CA order. A CA that says "issued" but has no PEM yet is
 * asked again on the polling schedule rather than failing the order.
 */
export async function retrieve(ctl: AttentionControl, issuer: string, caOrderId: string): Promise<RetrievedCertificate> {
  let wait = ctl.policy.pollInitialMs;
  for (;;) {
    try {
      return await withAttention(ctl, 'Retrieving the certificate', () => readCertificate(issuer, caOrderId, `Retrieve the certificate of CA order ${caOrderId}`));
    } catch (err) {
      if (failureType(err) !== CaErrorType.NotReady) throw err;
      ctl.record.transition('retrieving', 'CertificateNotReady', 'The CA reports the order issued but has no certificate yet; asking again.');
      await sleep(wait, { summary: `CA order ${caOrderId} is issued but has no certificate yet: retrieve again in ${Math.round(wait / 1000)} s` });
      wait = Math.min(wait * ctl.policy.pollFactor, ctl.policy.pollMaxMs);
    }
  }
}

export interface VerifyTarget {
  issuer: string;
  caOrderId: string;
  csrPem: string;
  /** SM2: the encryption certificate's CSR, when the customer sent one. */
  csrEncryptPem?: string;
  commonName: string;
  hosts?: string[];
}

/**
 * Retrieve, then verify (key matches CSR, names match, chain builds, dates sane). A
 * mismatch stops delivery: the order waits in needsAttention and re-checks on retryNow or
 * on the slow attention schedule (an operator may fix the CA side in the meantime).
 */
export async function retrieveAndVerify(ctl: AttentionControl, target: VerifyTarget, prefetched?: RetrievedCertificate): Promise<Extract<VerifyResult, { ok: true }>> {
  let collected = prefetched;
  let told = false;
  for (;;) {
    ctl.record.transition('retrieving', 'Retrieving', `Retrieving the certificate of CA order ${target.caOrderId}.`);
    const retrieved = collected ?? (await retrieve(ctl, target.issuer, target.caOrderId));
    collected = undefined;
    ctl.record.transition('verifying', 'Verifying', 'Checking the key, the names, the chain and the dates.');
    const result = await (readsInline() ? inlineChecks : checkActivities).verifyCertificate.executeWithOptions({ summary: `Verify key, names, chain and dates of CA order ${target.caOrderId}` }, [{
      caOrderId: target.caOrderId,
      retrieved,
      csrPem: target.csrPem,
      ...(target.csrEncryptPem === undefined ? {} : { csrEncryptPem: target.csrEncryptPem }),
      commonName: target.commonName,
      hosts: target.hosts,
      expectDnsNames: ctl.policy.expectDnsNames,
    }]);
    if (result.ok) return result;
    const next = new Date(Date.now() + ctl.policy.attentionRetryMs);
    const message = `The issued certificate failed verification: ${result.problems.join('; ')}. Delivery is stopped; re-checking at ${next.toISOString()} or on retryNow.`;
    ctl.record.transition('needsAttention', 'VerificationFailed', message);
    // Once per certificate: the re-checks that follow fail the same way.
    if (!told) ctl.onAttention?.('VerificationFailed', message);
    told = true;
    ctl.record.setNextCheck(next);
    await withAttentionWait(ctl);
  }
}

async function withAttentionWait(ctl: AttentionControl): Promise<void> {
  await condition(() => ctl.retryNow.requested, ctl.policy.attentionRetryMs, { summary: 'The certificate failed verification: check again after the attention interval, or at once on retryNow' });
  ctl.retryNow.requested = false;
  ctl.record.setNextCheck(undefined);
}
