/**
 * certflow's own look at each domain of an order whose CA validates per domain with a method
 * of its choosing (the reseller platform, docs/reseller.md): the CNAME through DNS, the file
 * over the scheme the method names. E-mail cannot be checked from outside: it is ready when
 * the CA says so. The answer says, per domain, whether the CA can be asked to look again and,
 * if not, what the customer still has to fix.
 */
import type { DomainCheck, DomainValidation } from '../domain/domain-validation';
import type { DnsCnameChecker } from './dns-cname-check';
import type { HttpFileChecker } from './http-file-check';

export type { DomainCheck };

export interface DomainValidationCheckers {
  files: HttpFileChecker;
  dns: DnsCnameChecker;
}

export async function checkDomainValidations(validations: readonly DomainValidation[], checkers: DomainValidationCheckers, signal?: AbortSignal): Promise<DomainCheck[]> {
  return Promise.all(validations.map((v) => checkOne(v, checkers, signal)));
}

async function checkOne(v: DomainValidation, checkers: DomainValidationCheckers, signal?: AbortSignal): Promise<DomainCheck> {
  const base = { domain: v.domain, method: v.method };
  // Validated by the CA: whatever certflow would find, there is nothing left to do.
  if (v.state === 'valid') return { ...base, ready: true };
  switch (v.method) {
    case 'dns': {
      if (!v.dns) return { ...base, ready: false, problem: 'the CA named no record to publish' };
      const [r] = await checkers.dns.check([{ domain: v.domain, name: v.dns.name, expected: v.dns.value }], signal);
      return r!.ok ? { ...base, ready: true } : { ...base, ready: false, problem: `${r!.problem} (publish ${v.dns.name} CNAME ${v.dns.value})` };
    }
    case 'http':
    case 'https': {
      if (!v.file) return { ...base, ready: false, problem: 'the CA named no file to serve' };
      const [r] = await checkers.files.check([v.domain], { path: v.file.path, content: v.file.content }, signal);
      const fetched = v.method === 'http' ? r!.http : r!.https;
      if (!fetched.ok) return { ...base, ready: false, problem: `${fetched.url}: ${fetched.problem}` };
      // The platform takes the file from the name itself, "不支持传主域名或其他域名": a redirect elsewhere does not count.
      const landed = fetched.finalUrl === undefined ? undefined : new URL(fetched.finalUrl).hostname.toLowerCase();
      if (landed !== undefined && landed !== v.domain.toLowerCase()) {
        return { ...base, ready: false, problem: `${fetched.url}: redirected to ${fetched.finalUrl}; the CA takes the file only from ${v.domain} itself, not another host` };
      }
      return { ...base, ready: true };
    }
    case 'email':
      return { ...base, ready: false, problem: `waiting for the approval e-mail to ${v.email?.address ?? 'the approver'} to be answered` };
  }
}
