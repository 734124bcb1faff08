/**
 * The CLI's exit codes, for scripts: documented in docs/api.md and `certflow --help`.
 */
export const ExitCode = {
  Ok: 0,
  Unexpected: 1,
  /** Bad usage or input the API refused (400, 413, 415). */
  Usage: 2,
  NotFound: 3,
  /** The order refused the change, or the billing order id is taken (409). */
  Conflict: 4,
  /** `orders watch` saw the order end failed, cancelled, revoked or expired. */
  OrderEnded: 5,
  Auth: 6,
  /** The API (or Temporal behind it) is unavailable or refused the connection. */
  Unavailable: 7,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export function exitCodeForStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return ExitCode.Auth;
  if (status === 404) return ExitCode.NotFound;
  if (status === 409) return ExitCode.Conflict;
  if (status === 502 || status === 503 || status === 504) return ExitCode.Unavailable;
  if (status >= 400 && status < 500) return ExitCode.Usage;
  return ExitCode.Unexpected;
}

export const EXIT_CODE_HELP = `Exit codes:
  0  success
  1  unexpected error
  2  usage error or input the API refused (400, 413, 415)
  3  not found (404)
  4  conflict: the order refused the change, or the billing order id is taken (409)
  5  watch: the order ended failed, cancelled, revoked or expired
  6  authentication failed (401): check --api-key / CERTFLOW_API_KEY
  7  service unavailable or connection refused`;
