import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * One configuration for worker, API and CLI: a zod schema over the environment,
 * parsed once and frozen. No secret has a default here; `npm start` (embedded dev mode)
 * generates dev secrets under the data dir and passes them in, so nothing secret ever
 * lives in code.
 */

const port = z.coerce.number().int().min(1).max(65535);
const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port, e.g. localhost:7233');
const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const csv = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));
const optionalSecret = z.string().min(16, 'must be at least 16 characters').optional();
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** `name:sha256hex` pairs: billing API keys are stored hashed, each with a name for logs. */
const apiKeyList = csv.pipe(
  z.array(
    z
      .string()
      .regex(/^[A-Za-z0-9_.-]+:[0-9a-f]{64}$/, 'each entry must be name:<sha256 hex of the key>')
      .transform((e) => {
        const [name, hash] = e.split(':') as [string, string];
        return { name, sha256: hash };
      }),
  ),
);

/**
 * Addresses and networks, `a.b.c.d/nn` or `x:y::/nnn` (a bare address is a /32 or /128),
 * comma-separated; read into entries for node's `net.BlockList`.
 */
export const cidrList = csv.pipe(
  z
    .array(
      z.string().transform((entry, ctx) => {
        const [address = '', prefixText, extra] = entry.split('/');
        const family = isIP(address);
        const max = family === 4 ? 32 : 128;
        const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
        if (family === 0 || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
          ctx.addIssue({ code: 'custom', message: `each entry must be an IPv4 or IPv6 address or network (e.g. 203.0.113.0/24, 2001:db8::/32); "${entry}" is not` });
          return z.NEVER;
        }
        return { address, prefix, family: family === 4 ? ('ipv4' as const) : ('ipv6' as const) };
      }),
    )
    .min(1, 'must list at least one address or network'),
);

/**
 * Name servers for `Resolver.setServers`: IP addresses, each with an optional port
 * (`127.0.0.1:5353`, `[::1]:5353`, `192.0.2.53`), comma-separated. Addresses only: node's
 * resolver cannot ask a server by name.
 */
const dnsServerList = csv.pipe(
  z
    .array(
      z.string().refine(isDnsServer, 'each entry must be an IP address with an optional port (127.0.0.1:5353, [::1]:5353, 192.0.2.53)'),
    )
    .min(1, 'must list at least one name server'),
);

function isDnsServer(entry: string): boolean {
  const m = /^\[(.+)\](?::(\d{1,5}))?$/.exec(entry) ?? /^([\d.]+)(?::(\d{1,5}))?$/.exec(entry);
  if (!m) return isIP(entry) === 6; // a bare IPv6 address: port 53
  const [, address = '', port] = m;
  return isIP(address) === (entry.startsWith('[') ? 6 : 4) && (port === undefined || (Number(port) >= 1 && Number(port) <= 65535));
}

/** `keyId:base64(32 bytes)` pairs for the AES-256-GCM payload codec. */
const codecKeyList = csv.pipe(
  z.array(
    z
      .string()
      .regex(/^[A-Za-z0-9_.-]+:[A-Za-z0-9+/]{43}=$/, 'each entry must be keyId:<base64 of 32 random bytes>')
      .transform((e) => {
        const i = e.indexOf(':');
        return { id: e.slice(0, i), key: e.slice(i + 1) };
      }),
  ),
);

export const configSchema = z
  .object({
    CERTFLOW_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    DATA_DIR: z.string().min(1).default('.data'),

    TEMPORAL_ADDRESS: hostPort.default('localhost:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('certflow'),
    TEMPORAL_TLS: bool.optional(),
    TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
    TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
    TEMPORAL_TLS_CA_PATH: z.string().min(1).optional(),
    TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
    TEMPORAL_API_KEY: z.string().min(1).optional(),
    TEMPORAL_UI_PORT: port.default(8233),
    TEMPORAL_UI_URL: url.optional(),

    CA_BASE_URL: url.optional(),
    CA_TOKEN: z.string().min(8, 'must be at least 8 characters').optional(),
    /**
     * How CA pushes are authenticated (docs/pushes.md). `none` (default): as the WoTrus
     * document describes them, unsigned — safe because a push only makes the order read its
     * CA status. `hmac`: our `x-wotrus-signature` scheme with CA_PUSH_SECRET.
     */
    CA_PUSH_VERIFY: z.enum(['none', 'hmac'], { error: 'must be none or hmac' }).default('none'),
    CA_PUSH_SECRET: optionalSecret,
    /** Sources a push is taken from (request.ip: behind a proxy, see API_TRUST_PROXY); any when unset. */
    CA_PUSH_ALLOW_FROM: cidrList.optional(),
    /** At most one push-triggered signal per CA order per window; later pushes are delivered once at its end. */
    CA_PUSH_WINDOW_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
    /** Global budget of push-triggered signals and look-ups of CA order ids (token bucket). */
    CA_PUSH_RATE_PER_SEC: z.coerce.number().min(0.1).max(100_000).default(20),
    CA_PUSH_BURST: z.coerce.number().int().min(1).max(1_000_000).default(40),
    CA_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
    CA_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    CA_POOL_CONNECTIONS: z.coerce.number().int().min(1).max(1024).default(32),

    /** The WoSign ACMAPI endpoint (docs/acmapi.md); the ACMAPI issuer is configured only when set. */
    ACMAPI_URL: url.optional(),
    /** The platform's `customer_id` ("UID"), given by WoSign after review. */
    ACMAPI_CUSTOMER_ID: z.string().min(1).optional(),
    /** The platform's `auth_token`. */
    ACMAPI_AUTH_TOKEN: z.string().min(8, 'must be at least 8 characters').optional(),
    /** The content of the `signfile` WoSign issued to the platform: every domain must serve it before an apply. */
    ACMAPI_SIGNFILE: z.string().min(1).optional(),
    /** PEM file with the chain of the CA that signs ACMAPI certificates (the answer carries only the leaf); checked at start. */
    ACMAPI_CHAIN_FILE: z.string().min(1).optional(),
    /**
     * The reseller platform's base URL (docs/reseller.md); the reseller issuer is configured
     * only when set. Its paths under it are inferred (src/ca/reseller/inferred.ts).
     */
    RESELLER_URL: url.optional(),
    /** The platform credential, sent verbatim in RESELLER_AUTH_HEADER (inferred: the document shows none). Unset: none sent. */
    RESELLER_API_KEY: z.string().min(8, 'must be at least 8 characters').regex(/^[^\r\n]+$/, 'must be one line').optional(),
    /** The header carrying RESELLER_API_KEY (inferred). */
    RESELLER_AUTH_HEADER: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name').default('Authorization'),
    /**
     * The secret in the `notify_url` the platform calls back
     * (`${PUBLIC_BASE_URL}/v1/issuers/reseller/notify/<token>`); unset: no notify_url is sent
     * and reseller orders are polled only. Letters, digits, `-` and `_` (it is a URL path segment).
     */
    RESELLER_NOTIFY_TOKEN: z.string().min(16, 'must be at least 16 characters').regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, - and _ only (it is a URL path segment)').optional(),
    /**
     * WoSignDoc, WoSign's document-signing platform (docs/wosigndoc.md): its endpoint, HTTPS
     * with a client certificate. The signing client exists only when set.
     */
    WOSIGNDOC_URL: z.url({ protocol: /^https$/, error: 'must be an https URL (the platform authenticates by client certificate)' }).optional(),
    /** The platform's `tokenid`, sent in every request. */
    WOSIGNDOC_TOKENID: z.string().min(8, 'must be at least 8 characters').regex(/^[^\r\n]+$/, 'must be one line').optional(),
    /** PEM file with our client certificate (intermediates after it are sent along); its expiry is warned of ahead. */
    WOSIGNDOC_CLIENT_CERT_FILE: z.string().min(1).optional(),
    /** PEM file with the client certificate's private key (unencrypted; protect the file). */
    WOSIGNDOC_CLIENT_KEY_FILE: z.string().min(1).optional(),
    /** PEM file with the platform's CA: pinned, the only CA trusted for the platform's server certificate. */
    WOSIGNDOC_CA_FILE: z.string().min(1).optional(),
    /** Warn this many days before the client certificate expires (at worker start and in metrics). */
    WOSIGNDOC_CERT_EXPIRY_WARN_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    /** How long a signing order waits for the platform's PushSignedDoc callback before it fails. */
    WOSIGNDOC_SIGN_DEADLINE_MS: z.coerce.number().int().min(60_000).max(90 * 86_400_000).default(7 * 86_400_000),
    /**
     * Development and tests: connect here (host:port) for every domain's HTTP / HTTPS check
     * instead of resolving the domain; the Host header and TLS server name stay the domain's.
     */
    DOMAIN_CHECK_HTTP_ADDRESS: hostPort.optional(),
    DOMAIN_CHECK_HTTPS_ADDRESS: hostPort.optional(),
    /**
     * The name servers certflow's DNS check asks (validation CNAMEs); unset: the system's.
     * Development and tests name the local DNS server (tools/simulators/dns/).
     */
    DOMAIN_CHECK_DNS_SERVERS: dnsServerList.optional(),
    /** One fetch of a domain's validation file, redirects included; one DNS lookup of a validation record, every try included. */
    DOMAIN_CHECK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),

    API_HOST: z.string().min(1).default('127.0.0.1'),
    API_PORT: port.default(8080),
    /**
     * Pending connections the kernel queues for the API (listen backlog; capped by
     * net.core.somaxconn). Node's 511 drops the SYNs of a larger burst — a CA pushing many
     * changes at once — and each dropped client retries only after a second.
     */
    /**
     * The worker's Prometheus endpoint (`host:port`, scraped at `/metrics`): the Temporal SDK's
     * worker, task-queue and activity series and certflow's own (README, Metrics). Unset: off.
     */
    WORKER_METRICS_BIND: z.string().regex(/^[\w.:[\]-]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:9464').optional(),
    API_LISTEN_BACKLOG: z.coerce.number().int().min(1).max(65_535).default(4_096),
    API_KEYS: apiKeyList.optional(),
    /**
     * Proxies in front of the API whose X-Forwarded-For is believed (fastify's trustProxy):
     * their addresses/networks, or the number of proxy hops. Unset: the peer address is the
     * client. Never "trust everyone": a client could then claim any source address.
     */
    API_TRUST_PROXY: z.union([z.string().regex(/^\d{1,2}$/).transform(Number), cidrList], { error: 'must be a hop count (e.g. 1) or proxy addresses/networks' }).optional(),
    PUBLIC_BASE_URL: url.optional(),
    OPERATOR_TOKEN: optionalSecret,
    /**
     * The codec endpoint takes the Temporal Web UI user's forwarded OIDC access token
     * (docs/security.md): the issuer (`iss`), the audience the token must name, the issuer's
     * JWKS, and the claim that grants decoding (`name=value`, e.g. groups=certflow-operators).
     */
    CODEC_OIDC_ISSUER: z.string().min(1).optional(),
    CODEC_OIDC_AUDIENCE: z.string().min(1).optional(),
    CODEC_OIDC_JWKS_URL: url.optional(),
    CODEC_OIDC_REQUIRED_CLAIM: z
      .string()
      .regex(/^[^=\s]+=[^=\s]+$/, 'must be name=value, e.g. groups=certflow-operators')
      .transform((v) => {
        const [name, value] = v.split('=') as [string, string];
        return { name, value };
      })
      .optional(),
    /** Signs the certificate link the CA e-mails to the customer (who has no API key). */
    DOWNLOAD_LINK_SECRET: optionalSecret,

    /**
     * The products this deployment sells (docs/products.md). Unset outside production: the
     * simulator's products (tools/simulators/wotrus/products.json).
     */
    PRODUCTS_FILE: z.string().min(1).optional(),

    BILLING_WEBHOOK_URL: url.optional(),
    BILLING_WEBHOOK_SECRET: optionalSecret,

    CODEC_KEYS: codecKeyList.optional(),
    CODEC_KEYS_FILE: z.string().min(1).optional(),
    CODEC_CURRENT_KEY_ID: z.string().min(1).optional(),

    WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(2000),
    /** A workflow bundle built by `npm run bundle:workflows`; the worker bundles at start without it. */
    WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
    WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).default(100),
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(1).default(40),
  })
  .superRefine((c, ctx) => {
    if ((c.TEMPORAL_TLS_CERT_PATH === undefined) !== (c.TEMPORAL_TLS_KEY_PATH === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['TEMPORAL_TLS_KEY_PATH'], message: 'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together' });
    }
    if (c.CA_PUSH_VERIFY === 'hmac' && !c.CA_PUSH_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['CA_PUSH_SECRET'], message: 'required when CA_PUSH_VERIFY=hmac' });
    }
    if (c.CA_BASE_URL && !c.CA_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['CA_TOKEN'], message: 'required when CA_BASE_URL is set' });
    }
    if (c.ACMAPI_URL) {
      for (const key of ['ACMAPI_CUSTOMER_ID', 'ACMAPI_AUTH_TOKEN', 'ACMAPI_SIGNFILE', 'ACMAPI_CHAIN_FILE'] as const) {
        if (c[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'required when ACMAPI_URL is set' });
      }
    }
    if (c.WOSIGNDOC_URL) {
      for (const key of ['WOSIGNDOC_TOKENID', 'WOSIGNDOC_CLIENT_CERT_FILE', 'WOSIGNDOC_CLIENT_KEY_FILE', 'WOSIGNDOC_CA_FILE'] as const) {
        if (c[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'required when WOSIGNDOC_URL is set' });
      }
    }
    if (c.RESELLER_NOTIFY_TOKEN && !c.PUBLIC_BASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['RESELLER_NOTIFY_TOKEN'], message: 'needs PUBLIC_BASE_URL: the notify_url the platform calls back is built from it' });
    }
    if (c.CODEC_CURRENT_KEY_ID && c.CODEC_KEYS && !c.CODEC_KEYS.some((k) => k.id === c.CODEC_CURRENT_KEY_ID)) {
      ctx.addIssue({ code: 'custom', path: ['CODEC_CURRENT_KEY_ID'], message: 'must name one of the keys in CODEC_KEYS' });
    }
    const oidc = ['CODEC_OIDC_ISSUER', 'CODEC_OIDC_AUDIENCE', 'CODEC_OIDC_JWKS_URL'] as const;
    if (oidc.some((k) => c[k] !== undefined) || c.CODEC_OIDC_REQUIRED_CLAIM) {
      for (const k of oidc) if (c[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'required with the other CODEC_OIDC_* settings' });
      if (c.CERTFLOW_ENV === 'production' && !c.CODEC_OIDC_REQUIRED_CLAIM) {
        ctx.addIssue({ code: 'custom', path: ['CODEC_OIDC_REQUIRED_CLAIM'], message: 'required in production with CODEC_OIDC_ISSUER (without it every user of the issuer could decode)' });
      }
    }
    if (c.CERTFLOW_ENV === 'production') {
      for (const key of ['CA_BASE_URL', 'CA_TOKEN', 'API_KEYS', 'PUBLIC_BASE_URL', 'DOWNLOAD_LINK_SECRET', 'PRODUCTS_FILE'] as const) {
        if (c[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'required in production' });
      }
      if (!c.CODEC_KEYS && !c.CODEC_KEYS_FILE) {
        ctx.addIssue({ code: 'custom', path: ['CODEC_KEYS'], message: 'required in production (or CODEC_KEYS_FILE)' });
      }
    }
  });

export type Config = Readonly<z.output<typeof configSchema>>;
export type ConfigKey = keyof z.input<typeof configSchema>;
export const configKeys = Object.keys(configSchema.shape) as ConfigKey[];

const SECRET_KEYS = new Set<string>([
  'TEMPORAL_API_KEY', 'CA_TOKEN', 'ACMAPI_AUTH_TOKEN', 'RESELLER_API_KEY', 'RESELLER_NOTIFY_TOKEN', 'WOSIGNDOC_TOKENID', 'CA_PUSH_SECRET', 'API_KEYS', 'OPERATOR_TOKEN',
  'BILLING_WEBHOOK_SECRET', 'CODEC_KEYS', 'DOWNLOAD_LINK_SECRET',
]);
export const isSecretKey = (key: string): boolean => SECRET_KEYS.has(key);

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; rule: string; value: string }[]) {
    super(
      `Invalid configuration:\n${issues
        .map((i) => `  - ${i.variable}: ${i.rule} (got ${i.value})`)
        .join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

function mask(variable: string, value: unknown): string {
  if (value === undefined) return 'nothing';
  if (isSecretKey(variable)) return '***';
  return JSON.stringify(value);
}

/** Parses the environment; throws ConfigError listing every issue, with secrets masked. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset" so that docker-compose's `VAR=` lines behave like absent ones.
  const cleaned = Object.fromEntries(
    configKeys.map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const result = configSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => {
        const variable = String(i.path[0] ?? '(config)');
        return { variable, rule: i.message, value: mask(variable, cleaned[variable]) };
      }),
    );
  }
  return Object.freeze(result.data);
}

let cached: Config | undefined;
/** The process-wide configuration, parsed once from process.env. */
export function getConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** A ConfigError ends the process with its message and EX_CONFIG; anything else is returned untouched. */
export function exitOnConfigError(err: unknown): unknown {
  if (err instanceof ConfigError) {
    process.stderr.write(`certflow: ${err.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  return err;
}

/** For entry points: parse, or print every issue and exit non-zero. */
export function loadConfigOrExit(): Config {
  try {
    return getConfig();
  } catch (err) {
    throw exitOnConfigError(err);
  }
}
