import { ApplicationFailure, Context } from '@temporalio/activity';
import type { DomainFile } from '../ca/issuer';
import type { DomainCheck, DomainValidation } from '../domain/domain-validation';
import type { DnsCnameChecker } from '../validation/dns-cname-check';
import { checkDomainValidations } from '../validation/domain-validation-check';
import type { DomainFileResult, HttpFileChecker } from '../validation/http-file-check';
import type { IssuerDirectory } from './ca';

/** What the workflow learns of one check: where the file must be and how each domain fared. */
export interface DomainFileCheck {
  path: string;
  checkedAt: string;
  domains: DomainFileResult[];
}

/** certflow's look at the pending names of a CA that validates per name. */
export interface DomainValidationCheck {
  checkedAt: string;
  domains: DomainCheck[];
}

export interface DomainCheckDeps {
  issuers: IssuerDirectory;
  fileChecker?: HttpFileChecker;
  dnsChecker?: DnsCnameChecker;
}

/** A worker without the checker cannot serve such orders: a deployment fault, retried. */
export const DOMAIN_CHECK_UNAVAILABLE = 'DomainCheckUnavailable';

/**
 * The checks certflow makes before a CA does. A domain not ready is an answer, not a
 * failure: the workflow tells the customer and checks again later.
 */
export function createDomainCheckActivities({ issuers, fileChecker, dnsChecker }: DomainCheckDeps) {
  return {
    /** Each name by its own method: the CNAME through DNS, the file over the method's scheme; e-mail is the CA's to see. */
    async checkDomainValidations(validations: DomainValidation[]): Promise<DomainValidationCheck> {
      if (!fileChecker || !dnsChecker) {
        throw ApplicationFailure.create({ type: DOMAIN_CHECK_UNAVAILABLE, message: `This worker cannot check domain validations (${fileChecker ? 'no DNS checker' : 'no file checker'}).` });
      }
      const domains = await checkDomainValidations(validations, { files: fileChecker, dns: dnsChecker }, Context.current().cancellationSignal);
      return { checkedAt: new Date().toISOString(), domains };
    },

    async checkDomainFiles(domains: string[], issuer: string): Promise<DomainFileCheck> {
      const target = issuers.get(issuer);
      const file: DomainFile | undefined = target.domainFile?.();
      if (!file || !fileChecker) {
        throw ApplicationFailure.create({ type: DOMAIN_CHECK_UNAVAILABLE, message: `This worker cannot check domain files for ${target.descriptor.displayName} (${file ? 'no file checker' : 'the issuer names no file'}).` });
      }
      const results = await fileChecker.check(domains, file, Context.current().cancellationSignal);
      return { path: file.path, checkedAt: new Date().toISOString(), domains: results };
    },
  };
}
