import type { Config } from '../../config';
import type { ProductCatalog } from '../../domain/products';
import { CaCertificateNotReadyError, CaProtocolError } from '../errors';
import type { CallContext, CreateOrderResult, Issuer, OrderStatusResult, ReissueResult } from '../issuer';
import { createResellerClient, type ResellerClientOptions } from './client';
import { RESELLER, RESELLER_DISPLAY_NAME, validationLevelOfKind } from './descriptor';
import type { ResellerReissueResult } from './mapping';
import { resellerNotifyUrl } from './notify';
import { organizationFieldsOf } from './organization';
import type { OrganizationFields, ValidationLevel } from './schemas';
import { uniqueIdFor } from './unique-id';

export interface ResellerIssuerOptions extends ResellerClientOptions {
  /**
   * The `notify_url` sent with every create and reissue (`resellerNotifyUrl`: the API's
   * notify route with its secret); absent: none, the orders are polled only.
   */
  notifyUrl?: string;
  /**
   * A product's validation level, from the product catalog (`levelsFromCatalog`): decides
   * whether the organisation fields are required and sent (OV/EV/IV). Unknown or absent: DV.
   */
  levelOf?: (productId: string) => ValidationLevel | undefined;
}

/** The reseller platform as an `Issuer` (with its reissue), and the pool to close. */
export interface ResellerIssuer extends Issuer {
  requestReissue: NonNullable<Issuer['requestReissue']>;
  close(): Promise<void>;
}

/** The order's names: the common name, then its hosts, each once (in any case), as given. */
function orderNames(commonName: string, hosts: readonly string[] = []): string[] {
  const seen = new Set<string>();
  const names: string[] = [];
  for (const raw of [commonName, ...hosts]) {
    const name = raw.trim();
    const key = name.toLowerCase().replace(/\.$/, '');
    if (!name || seen.has(key)) continue;
    seen.add(key);
    names.push(name);
  }
  return names;
}

/**
 * The reseller platform (docs/reseller.md) behind the vendor-neutral port:
 * - certflow's `caOrderId` is the platform's `service_id` (its certificate number, which every
 *   call takes and a reissue keeps); the CA's own `caid` is not kept.
 * - `createOrder`: the INFERRED create (inferred.ts) with `unique_id` from the idempotency
 *   key, every name's method (`domainValidation`, dns for every name when absent), the
 *   product, the period in months, the contact address, the organisation for OV/EV/IV and
 *   the notify_url; refused before the call by the documented rules of the same fields.
 * - `getStatus` / `retrieveCertificate`: the INFERRED status read; the certificate and its
 *   chain (`ca_pem`) come inline once issued.
 * - `requestReissue`: the documented reissue, with a new CSR and/or new methods or names
 *   (dropping a name revokes the current certificate: the caller confirms that first).
 * The organisation is sent for OV/EV/IV only (a DV certificate names none), and the
 * organisation a reissue sends is the one issued (certflow never changes it), so the
 * document's "no change once issued" holds by construction and is still checked.
 */
export function createResellerIssuer(options: ResellerIssuerOptions): ResellerIssuer {
  const { notifyUrl, levelOf, ...clientOptions } = options;
  const client = createResellerClient(clientOptions);
  const levelFor = (productId: string | undefined): ValidationLevel => (productId === undefined ? undefined : levelOf?.(productId)) ?? 'DV';
  const organizationFor = (level: ValidationLevel, o: Parameters<typeof organizationFieldsOf>[0] | undefined): OrganizationFields | undefined =>
    level === 'DV' || o === undefined ? undefined : organizationFieldsOf(o);

  /** The answer is about the service asked for, or the platform is confused. */
  function sameService(r: ResellerReissueResult, serviceId: string, operation: 'getStatus' | 'retrieveCertificate', ctx: CallContext): void {
    if (r.serviceId === serviceId.trim()) return;
    throw new CaProtocolError({
      issuer: RESELLER_DISPLAY_NAME,
      operation,
      requestId: ctx.requestId,
      issues: [{ path: 'data.service_id', message: `is ${r.serviceId}, but the status of ${serviceId.trim()} was asked for` }],
    });
  }

  return {
    descriptor: RESELLER,

    async createOrder(req, ctx): Promise<CreateOrderResult> {
      const level = levelFor(req.productId);
      const domainDcv = req.domainValidation ?? Object.fromEntries(orderNames(req.commonName, req.hosts).map((n) => [n, 'dns']));
      const r = await client.create(
        {
          uniqueId: uniqueIdFor(req.idempotenceId),
          productId: req.productId,
          period: req.month,
          csr: req.csr,
          domainDcv,
          contactEmail: req.contactEmail,
          organization: organizationFor(level, req.organization),
          notifyUrl,
          check: { validation: level },
        },
        ctx,
      );
      return {
        caOrderId: r.serviceId,
        ...(r.cost === undefined ? {} : { cost: r.cost }),
        domains: r.domains,
        ...(r.certificate === undefined ? {} : { certificate: r.certificate }),
      };
    },

    async getStatus(caOrderId, ctx): Promise<OrderStatusResult> {
      const r = await client.status(caOrderId, ctx, 'getStatus');
      sameService(r, caOrderId, 'getStatus', ctx);
      return {
        caOrderId: r.serviceId,
        phase: r.phase,
        status: r.status ?? 'unknown',
        ...(r.certificate === undefined ? {} : { certificate: r.certificate }),
        domains: r.domains,
      };
    },

    async retrieveCertificate(caOrderId, ctx) {
      const r = await client.status(caOrderId, ctx, 'retrieveCertificate');
      sameService(r, caOrderId, 'retrieveCertificate', ctx);
      if (r.certificate === undefined) {
        const pending = r.domains.filter((d) => d.state !== 'valid').map((d) => `${d.domain} (${d.method})`);
        throw new CaCertificateNotReadyError({
          issuer: RESELLER_DISPLAY_NAME,
          operation: 'retrieveCertificate',
          requestId: ctx.requestId,
          caMessage: `status ${r.status ?? '(none)'}${pending.length > 0 ? `; pending: ${pending.join(', ')}` : ''}`,
        });
      }
      return r.certificate;
    },

    async requestReissue(req, ctx): Promise<ReissueResult> {
      const level = levelFor(req.productId);
      const organization = organizationFor(level, req.organization);
      const r = await client.reissue(
        {
          uniqueId: uniqueIdFor(req.idempotenceId),
          serviceId: req.caOrderId,
          csr: req.csr,
          domainDcv: req.domainValidation,
          renew: req.renew,
          organization,
          notifyUrl,
          check: { validation: level, ...(organization === undefined ? {} : { issuedOrganization: organization }) },
        },
        ctx,
      );
      return { newCaOrderId: r.serviceId, ...(r.cost === undefined ? {} : { cost: r.cost }), domains: r.domains };
    },

    close() {
      return client.close();
    },
  };
}

/** A product's validation level from its kind in the catalog (dv, ov, ev); other kinds and unknown products: undefined. */
export function levelsFromCatalog(catalog: Pick<ProductCatalog, 'find'>): (productId: string) => ValidationLevel | undefined {
  return (productId) => {
    const kind = catalog.find(productId)?.kind;
    return kind === undefined ? undefined : validationLevelOfKind(kind);
  };
}

export type ResellerConfig = Pick<
  Config,
  'RESELLER_URL' | 'RESELLER_API_KEY' | 'RESELLER_AUTH_HEADER' | 'RESELLER_NOTIFY_TOKEN' | 'PUBLIC_BASE_URL' | 'CA_TIMEOUT_MS' | 'CA_CONNECT_TIMEOUT_MS' | 'CA_POOL_CONNECTIONS'
>;

/**
 * The issuer for the configured platform (RESELLER_URL: the platform or the simulator), the
 * notify_url from PUBLIC_BASE_URL and RESELLER_NOTIFY_TOKEN, levels from the product catalog.
 * No chain file: the answers carry the chain (`ca_pem`).
 */
export function createResellerIssuerFromConfig(
  config: ResellerConfig,
  o: { products: Pick<ProductCatalog, 'find'> } & Pick<ResellerClientOptions, 'dispatcher'>,
): ResellerIssuer {
  if (!config.RESELLER_URL) throw new Error('RESELLER_URL must be configured to create the reseller platform issuer');
  const notifyUrl = resellerNotifyUrl(config);
  return createResellerIssuer({
    url: config.RESELLER_URL,
    apiKey: config.RESELLER_API_KEY,
    authHeader: config.RESELLER_AUTH_HEADER,
    timeoutMs: config.CA_TIMEOUT_MS,
    connectTimeoutMs: config.CA_CONNECT_TIMEOUT_MS,
    connections: config.CA_POOL_CONNECTIONS,
    levelOf: levelsFromCatalog(o.products),
    ...(notifyUrl === undefined ? {} : { notifyUrl }),
    ...(o.dispatcher ? { dispatcher: o.dispatcher } : {}),
  });
}
