import type { DomainMethodChoices, IssuerDescriptor } from '../issuer';
import type { FieldIssue } from '../../lib/field-issue';
import { domainDcvIssues } from './rules';

/** Shown in error messages and logs. */
export const RESELLER_DISPLAY_NAME = 'Reseller platform';

/**
 * The documented rules of a choice of methods (rules.ts `domainDcvIssues`: wildcards only by
 * dns or an approver address, approver mailboxes at the name or a parent, one method per
 * name), each issue naming the name under `domainValidation` (the port's field) instead of
 * the wire's `domain_dcv`: `['domainValidation', '*.example.com']`.
 */
export function resellerDomainValidationIssues(choices: DomainMethodChoices): FieldIssue[] {
  return domainDcvIssues(choices).map((i) => ({ ...i, path: ['domainValidation', ...i.path.slice(1)] }));
}

/**
 * The reseller platform (seed 004, docs/reseller.md): the documented reissue, with a create
 * and a status read inferred by analogy (inferred.ts). Every name is validated by a method
 * chosen for it (dns CNAME, http/https file, approver e-mail); the status answer carries
 * each name's state and, once issued, the certificate and its chain. `notify_url` callbacks
 * are its pushes. Idempotent create and reissue (`unique_id`). No cancel or revoke: the
 * document has none (a reissue dropping a name revokes the old certificate, the 危险 warning).
 */
export const RESELLER: IssuerDescriptor = Object.freeze({
  id: 'reseller',
  displayName: RESELLER_DISPLAY_NAME,
  capabilities: Object.freeze(['query', 'reissue', 'push', 'inlineCertificate', 'domainValidation'] as const),
  // The document's organisation fields are for "OV、EV、IV" certificates, besides DV; certflow sells no IV kind.
  productKinds: Object.freeze(['dv', 'ov', 'ev']),
  // unique_id: the platform charges and creates once per id.
  idempotentCreate: true,
  domainValidationIssues: resellerDomainValidationIssues,
});
