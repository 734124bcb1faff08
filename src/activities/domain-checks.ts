import { ApplicationFailure, Context } from '@temporalio/activity';
import type { DomainFile } from '../ca/issuer';
import type { DomainFileResult, HttpFileChecker } from '../validation/http-file-check';
import type { IssuerDirectory } from './ca';

/** What the workflow learns of one check: where the file must be and how each domain fared. */
export interface DomainFileCheck {
  path: string;
  checkedAt: string;
  domains: DomainFileResult[];
}

export interface DomainCheckDeps {
  issuers: IssuerDirectory;
  fileChecker?: HttpFileChecker;
}

/** A worker without the checker cannot serve such orders: a deployment fault, retried. */
export const DOMAIN_CHECK_UNAVAILABLE = 'DomainCheckUnavailable';

/**
 * The checks certflow makes before a CA does. A domain not ready is an answer, not a
 * failure: the workflow tells the customer and checks again later.
 */
export function createDomainCheckActivities({ issuers, fileChecker }: DomainCheckDeps) {
  return {
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
