/**
 * A switch of validation methods as the reissue it is (CAs that validate per name, the
 * reseller platform): the caller names only the names that change; the reissue must carry
 * EVERY name the new certificate covers (a name left out is dropped, and the CA revokes the
 * current certificate), each with its method. So the full set is built here from the
 * order's view: its names (`commonName` and `hosts`), each with the method the CA last
 * reported for it (`ca.domains`), overridden by the caller's choices.
 */
import type { DomainMethodChoices } from '../domain/domain-validation';
import type { OrderView } from '../domain/order-view';
import type { FieldIssue } from './errors';

const norm = (name: string): string => name.trim().toLowerCase().replace(/\.$/, '');

/** The order's names once each (case and a trailing dot ignored), as the order spells them. */
export function orderNames(view: Pick<OrderView, 'commonName' | 'hosts'>): string[] {
  const seen = new Set<string>();
  const names: string[] = [];
  for (const name of [view.commonName, ...(view.hosts ?? [])]) {
    const key = norm(name);
    if (seen.has(key)) continue;
    seen.add(key);
    names.push(name);
  }
  return names;
}

export interface SwitchedMethods {
  /** Every name of the order with its method: the reissue's `domainValidation`. */
  domainValidation: DomainMethodChoices;
  /** Names given that are not the order's, or given twice; a current e-mail method without its address. Paths under `methods`. */
  issues: FieldIssue[];
}

/**
 * The full name → method map for a reissue that switches `methods`. A name's current
 * method is the CA's last word on it; an e-mail method is its approver address; a name the
 * CA has not reported yet is `dns` (as at the create, names without a choice are dns).
 */
export function switchedMethods(view: Pick<OrderView, 'commonName' | 'hosts' | 'ca'>, methods: DomainMethodChoices): SwitchedMethods {
  const names = orderNames(view);
  const known = new Set(names.map(norm));
  const issues: FieldIssue[] = [];
  const given = new Map<string, { name: string; method: string }>();
  for (const [name, method] of Object.entries(methods)) {
    if (!known.has(norm(name))) {
      issues.push({ path: ['methods', name], rule: `is not a name of this order (its names: ${names.join(', ')}): a switch changes the method of names the certificate already covers; a reissue with domainValidation changes the names` });
      continue;
    }
    const twin = given.get(norm(name));
    if (twin) {
      issues.push({ path: ['methods', name], rule: `names the same domain as ${twin.name}: one domain, one validation method` });
      continue;
    }
    given.set(norm(name), { name, method });
  }
  const reported = new Map((view.ca.domains ?? []).map((d) => [norm(d.domain), d]));
  const domainValidation: DomainMethodChoices = {};
  for (const name of names) {
    const chosen = given.get(norm(name));
    if (chosen) {
      domainValidation[name] = chosen.method;
      continue;
    }
    const current = reported.get(norm(name));
    if (!current) {
      domainValidation[name] = 'dns';
    } else if (current.method !== 'email') {
      domainValidation[name] = current.method;
    } else if (current.email?.address) {
      domainValidation[name] = current.email.address.toLowerCase();
    } else {
      // Sending dns instead would switch a name nobody asked to switch.
      issues.push({ path: ['methods', name], rule: 'must be given: the name is validated by e-mail, but the CA did not say to which approver address, so its current method cannot be kept as it is' });
    }
  }
  return { domainValidation, issues };
}
