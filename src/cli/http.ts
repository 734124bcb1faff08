import { type Problem, problemSchema } from '../api/problem-schema';
import { ExitCode, exitCodeForStatus } from './exit-codes';

/** A failure the CLI reports and exits with; `code` is the process exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: ExitCode,
    readonly problem?: Problem,
  ) {
    super(message);
  }
}

export interface ApiClientOptions {
  baseUrl: string;
  apiKey?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface ApiClient {
  readonly baseUrl: string;
  json<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
  text(path: string, accept: string): Promise<string>;
}

function describeFailure(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (cause?.code) return cause.code;
  if (err instanceof Error && err.name === 'TimeoutError') return 'timed out';
  return cause?.message ?? (err instanceof Error ? err.message : String(err));
}

async function problemOf(response: Response): Promise<Problem> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = problemSchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
  } catch {
    // Not JSON: a proxy's error page, say. Fall through to a synthetic problem.
  }
  return { type: 'about:blank', title: response.statusText || `HTTP ${response.status}`, status: response.status, detail: text.slice(0, 200) || undefined };
}

/** The API over fetch: problems become CliErrors carrying the matching exit code. */
export function createApiClient({ baseUrl, apiKey, fetch: fetchImpl = fetch, timeoutMs = 30_000 }: ApiClientOptions): ApiClient {
  const base = baseUrl.replace(/\/+$/, '');

  async function call(method: string, path: string, accept: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetchImpl(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new CliError(`cannot reach the API at ${base}: ${describeFailure(err)}`, ExitCode.Unavailable);
    }
    if (!response.ok) {
      const problem = await problemOf(response);
      // With field errors the detail only repeats them; they are printed one per line instead.
      const message = problem.errors?.length ? problem.title : (problem.detail ?? problem.title);
      throw new CliError(message, exitCodeForStatus(response.status), problem);
    }
    return response;
  }

  return {
    baseUrl: base,
    async json<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
      const response = await call(method, path, 'application/json', body);
      return (await response.json()) as T;
    },
    async text(path, accept) {
      return (await call('GET', path, accept)).text();
    },
  };
}
