/**
 * What the CA does with one request, in the document's terms: checks in the order the codes
 * are listed (source IP 110 first, as the CA's front door would refuse before reading), then
 * either a new application (domains, CSR, signfile on every domain, then issue / pending /
 * the configured error) or an ask by handle_id.
 */
import type { Logger } from 'pino';
import { type Application, type ApplicationStore } from './applications';
import { type AcmapiCa, pemToBase64Der } from './ca';
import type { Counters } from './counters';
import { acceptCsr } from './csr';
import { checkDomainNames } from './domains';
import type { FaultInjector } from './faults';
import { ACMAPI_ERRORS, type AcmapiAnswer, type AcmapiRequest, errorAnswer, handleIdOf, pendingAnswer, REQ_TYPE_APPLY, successAnswer } from './protocol';
import { ipAllowed, type Settings } from './settings';
import type { SignfileChecker } from './signfile-check';

export interface OperationsDeps {
  store: ApplicationStore;
  ca: AcmapiCa;
  counters: Counters;
  faults: FaultInjector;
  checker: SignfileChecker;
  settings: () => Settings;
  /** The content every domain must serve. */
  signfile: () => string;
  log: Logger;
}

export class AcmapiOperations {
  /** Issuance in flight per handle_id: two concurrent asks (or an ask and the admin) issue once. */
  private readonly issuing = new Map<string, Promise<void>>();

  constructor(private readonly d: OperationsDeps) {}

  async handle(req: AcmapiRequest, sourceIp: string | undefined): Promise<AcmapiAnswer> {
    const answer = await this.decide(req, sourceIp);
    if (answer.result === 'error') this.d.counters.error(answer.status);
    return answer;
  }

  private async decide(req: AcmapiRequest, sourceIp: string | undefined): Promise<AcmapiAnswer> {
    const s = this.d.settings();
    if (!ipAllowed(s.allowedIps, sourceIp)) return errorAnswer(ACMAPI_ERRORS.ipNotPermitted);
    if (req.customerId !== s.credentials.customerId) return errorAnswer(ACMAPI_ERRORS.customerId);
    if (req.authToken !== s.credentials.authToken) return errorAnswer(ACMAPI_ERRORS.authToken);
    const handleId = handleIdOf(req);
    // The table marks req_type required, the pending example omits it: an ask by handle_id may
    // leave it out; present, it must still be cert_apply.
    const reqTypeOk = req.reqType === REQ_TYPE_APPLY || (handleId !== undefined && (req.reqType === undefined || req.reqType === null || req.reqType === ''));
    if (!reqTypeOk) return errorAnswer(ACMAPI_ERRORS.reqType);
    if (handleId !== undefined) {
      this.d.counters.handleAsks++;
      return this.ask(handleId);
    }
    this.d.counters.applications++;
    return this.apply(req);
  }

  private async apply(req: AcmapiRequest): Promise<AcmapiAnswer> {
    const names = checkDomainNames(req.domainName);
    if (!names.ok) return errorAnswer(names.code);
    const csr = await acceptCsr(req.csr);
    if (!csr) return errorAnswer(ACMAPI_ERRORS.csr);
    // The document does not say the CSR's own names must match domain_name; the certificate
    // takes domain_name (inferred), so the CSR only supplies the key.
    const failed = await this.firstUnvalidated(names.domains);
    if (failed) return errorAnswer(ACMAPI_ERRORS.domainVerify, failed);
    const s = this.d.settings();
    if (typeof s.mode === 'object') {
      // A configured refusal after validation (e.g. 109): nothing is stored, nothing issued.
      return s.mode.error === ACMAPI_ERRORS.domainVerify ? errorAnswer(s.mode.error, names.domains[0]) : errorAnswer(s.mode.error);
    }
    const application = this.d.store.create(names.domains, csr);
    this.d.log.info({ handleId: application.handleId, domains: names.domains, mode: s.mode }, 'acmapi simulator: application accepted');
    if (s.mode === 'pending') return pendingAnswer(application.handleId);
    await this.issueOnce(application);
    return this.success(application);
  }

  /** The first domain (in the request's order) whose signfile the CA cannot read. */
  private async firstUnvalidated(domains: readonly string[]): Promise<string | undefined> {
    const signfile = this.d.signfile();
    const results = await Promise.all(
      domains.map(async (domain) => {
        if (this.d.faults.unreachable(domain)) return false;
        const r = await this.d.checker.check(domain, signfile);
        if (!r.ok) this.d.log.info({ domain, attempts: r.attempts }, 'acmapi simulator: signfile not validated');
        return r.ok;
      }),
    );
    return domains[results.indexOf(false)];
  }

  private async ask(handleId: string): Promise<AcmapiAnswer> {
    const a = this.d.store.get(handleId);
    if (!a) return errorAnswer(ACMAPI_ERRORS.handleId);
    a.asks++;
    if (a.state === 'pending') {
      const after = this.d.settings().pendingAsks;
      if (after === 0 || a.asks < after) return pendingAnswer(a.handleId);
      await this.issueOnce(a);
    }
    // Inferred from the document (it returns handle_id with success too): an ask after the
    // certificate was issued answers the SAME certificate again; asking never issues twice.
    return this.success(a);
  }

  /** Issues the application's certificate unless it has one (or one is being made). */
  issueOnce(a: Application): Promise<void> {
    if (a.state === 'issued') return Promise.resolve();
    let inFlight = this.issuing.get(a.handleId);
    if (!inFlight) {
      inFlight = (async () => {
        const leaf = await this.d.ca.issue(a.domains, a.csr, this.d.settings().validityDays);
        this.d.store.markIssued(a, leaf);
        this.d.counters.certificatesIssued++;
        this.d.log.info({ handleId: a.handleId, serial: leaf.serialHex, domains: a.domains }, 'acmapi simulator: certificate issued');
      })().finally(() => this.issuing.delete(a.handleId));
      this.issuing.set(a.handleId, inFlight);
    }
    return inFlight;
  }

  private success(a: Application): AcmapiAnswer {
    const pem = a.certificate!.pem;
    return successAnswer(a.handleId, this.d.settings().certificateFormat === 'base64der' ? pemToBase64Der(pem) : pem);
  }
}
