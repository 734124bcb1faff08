/**
 * Pure rules over an order's names and the methods chosen for them, without zod, so that
 * workflow code (the reissue validator) and the API apply the same ones.
 */
import type { DomainMethod, DomainMethodChoices } from './domain-validation';

/** The method a choice means. */
export const methodOfChoice = (choice: string): DomainMethod => (choice.includes('@') ? 'email' : (choice as DomainMethod));

const norm = (name: string): string => name.trim().toLowerCase().replace(/\.$/, '');

/** The names of `current` a reissue with `choices` leaves out (each as `current` spells it). */
export function droppedNames(current: readonly string[], choices: DomainMethodChoices): string[] {
  const kept = new Set(Object.keys(choices).map(norm));
  return [...new Set(current)].filter((n) => !kept.has(norm(n)));
}

/** An issue with a reissue's names, for the API's 400 and the workflow's update validator alike. */
export interface NamesIssue {
  path: string[];
  rule: string;
}

/**
 * A reissue that drops a name makes the CA revoke the current certificate at once (the
 * reseller document's 危险 warning): refused unless `confirmDroppedDomains` names exactly
 * the names dropped.
 */
export function droppedNamesIssues(current: readonly string[], choices: DomainMethodChoices | undefined, confirmed: readonly string[] | undefined): NamesIssue[] {
  const dropped = choices ? droppedNames(current, choices) : [];
  const want = new Set(dropped.map(norm));
  const got = new Set((confirmed ?? []).map(norm));
  if (want.size === got.size && [...want].every((n) => got.has(n))) return [];
  if (dropped.length === 0) return [{ path: ['confirmDroppedDomains'], rule: 'must be absent or empty: this reissue drops no name' }];
  return [{
    path: ['confirmDroppedDomains'],
    rule: `must list exactly the names this reissue drops (${dropped.join(', ')}): dropping or replacing a name makes the CA revoke the current certificate at once`,
  }];
}

/** An order's names with their methods: the customer's choices, dns for the rest. */
export function choicesForNames(names: readonly string[], choices: DomainMethodChoices | undefined): DomainMethodChoices {
  const given = new Map(Object.entries(choices ?? {}).map(([n, m]) => [norm(n), m]));
  return Object.fromEntries([...new Set(names)].map((n) => [n, given.get(norm(n)) ?? 'dns']));
}

/** The names after a reissue that names them all: the common name stays first while it is kept. */
export function namesAfter(commonName: string, names: readonly string[]): string[] {
  const kept = names.find((n) => norm(n) === norm(commonName));
  return kept ? [kept, ...names.filter((n) => n !== kept)] : [...names];
}
