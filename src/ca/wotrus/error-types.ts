/**
 * The CA error type names, alone in a module with no imports so that workflow code (which
 * must stay deterministic) can build retry policies from them without pulling in the
 * client. Temporal matches `nonRetryableErrorTypes` against `error.name`; every CA error
 * class sets its name from this table.
 */
export const CaErrorType = {
  Auth: 'CaAuthError',
  Business: 'CaBusinessError',
  RateLimit: 'CaRateLimitError',
  Unavailable: 'CaUnavailableError',
  Protocol: 'CaProtocolError',
  NotReady: 'CaCertificateNotReadyError',
} as const;

export type CaErrorTypeName = (typeof CaErrorType)[keyof typeof CaErrorType];

/** Every CA error type name. */
export const CA_ERROR_TYPES: readonly CaErrorTypeName[] = Object.freeze(Object.values(CaErrorType));

/**
 * Errors a retry cannot fix: a wrong token, or the CA refusing the request on its merits.
 * A fresh array on each access would be safer against mutation, but Temporal's RetryPolicy
 * wants `string[]`; spread it (`[...NON_RETRYABLE_CA_ERRORS]`) if you need to add to it.
 */
export const NON_RETRYABLE_CA_ERRORS: readonly CaErrorTypeName[] = Object.freeze([
  CaErrorType.Auth,
  CaErrorType.Business,
]);

/**
 * A malformed answer is retried, but an activity gives up at this many malformed answers
 * (other failures in between do not count): a CA that keeps answering garbage will not heal
 * by itself, and the activity should give up and surface it.
 */
export const CA_PROTOCOL_ERROR_MAX_ATTEMPTS = 3;
