import type { DomainMethodChoices, IssuerDescriptor, IssuerRequestCheck } from '../issuer';
import type { FieldIssue } from '../../lib/field-issue';
import { ORGANIZATION_SOURCES, organizationFieldsOf, organizationPathOf } from './organization';
import { csrIssues, domainDcvIssues, organizationIssues } from './rules';
import { ORGANIZATION_FIELDS, type OrganizationField, type ValidationLevel } from './schemas';

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

const LEVEL_OF_KIND: Readonly<Record<string, ValidationLevel>> = Object.freeze({ dv: 'DV', ov: 'OV', ev: 'EV' });

/** The document's certificate kind of a certflow product kind (dv, ov, ev); other kinds: undefined. */
export function validationLevelOfKind(kind: string): ValidationLevel | undefined {
  return Object.hasOwn(LEVEL_OF_KIND, kind) ? LEVEL_OF_KIND[kind] : undefined;
}

/** Every `Organization` field the document's organisation fields are made of, for a rule's words. */
const ORGANIZATION_SOURCE_NAMES = ORGANIZATION_FIELDS.map((f: OrganizationField) => ORGANIZATION_SOURCES[f].join('/')).join(', ');

/**
 * The documented rules of the CSR and the organisation (rules.ts), before any workflow
 * starts, each issue in certflow's request words instead of the wire's:
 * - `csr` (`csrIssues`): a CSR, not a key or a certificate, with an RSA 2048/4096 or ECDSA
 *   P-256/P-384 key (an RSA 3072 key, which the door's own check takes, is refused here). Its
 *   parse and self-signature are the door's check (lib/csr-check), which the order service
 *   runs on every CSR: `csrSignatureIssues` here would say the same twice.
 * - the organisation (`organizationIssues`, level from the product kind: dv → DV, ov → OV,
 *   ev → EV): for OV and EV every document field, named by the `Organization` field it is
 *   made of (`organization_unit` → `organization.orgUnit`; `organization.ts`
 *   `ORGANIZATION_SOURCES`), an order without an organisation at `organization`. A reissue
 *   sends the order's organisation again unchanged, so only "required" applies to it (the
 *   "no change once issued" rule holds by construction), and only where the caller gives it.
 */
export function resellerRequestIssues(r: IssuerRequestCheck): Promise<FieldIssue[]> {
  const issues: FieldIssue[] = r.csr === undefined ? [] : csrIssues(r.csr).map((i) => ({ ...i, path: ['csr'] }));
  const level = validationLevelOfKind(r.productKind);
  if (level === undefined || level === 'DV') return Promise.resolve(issues);
  if (r.organization === undefined) {
    if (r.operation === 'create') {
      issues.push({ path: ['organization'], rule: `is required for ${level} certificates at the ${RESELLER_DISPLAY_NAME.toLowerCase()}, with every one of ${ORGANIZATION_SOURCE_NAMES}` });
    }
    return Promise.resolve(issues);
  }
  for (const i of organizationIssues(organizationFieldsOf(r.organization), { validation: level })) {
    const { path, note } = organizationPathOf(i.path[0] as OrganizationField);
    issues.push({ path, rule: `${i.rule} (${note})` });
  }
  return Promise.resolve(issues);
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
  requestIssues: resellerRequestIssues,
});
