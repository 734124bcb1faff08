import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import {
  InvalidOrderError,
  InvalidPageTokenError,
  OrderConflictError,
  OrderNotFoundError,
  OrderRejectedError,
  OrderTooLargeError,
  TemporalUnavailableError,
  UnknownProductError,
} from '../orders/errors';
import { type FieldError, fieldErrorSchema, type Problem, PROBLEM_CONTENT_TYPE, problemSchema } from './problem-schema';

export { PROBLEM_CONTENT_TYPE, fieldErrorSchema, problemSchema, type FieldError, type Problem };

const problemType = (slug: string): string => `urn:certflow:problem:${slug}`;

/** The problem types the API answers with; documented in docs/api.md. */
export const ProblemType = {
  validation: problemType('validation'),
  malformed: problemType('malformed-request'),
  unauthorized: problemType('unauthorized'),
  forbidden: problemType('forbidden'),
  notFound: problemType('not-found'),
  orderNotFound: problemType('order-not-found'),
  certificateNotIssued: problemType('certificate-not-issued'),
  noWaitingOrder: problemType('no-waiting-order'),
  conflict: problemType('order-conflict'),
  rejected: problemType('update-rejected'),
  tooLarge: problemType('payload-too-large'),
  unsupportedMediaType: problemType('unsupported-media-type'),
  unavailable: problemType('service-unavailable'),
  internal: problemType('internal-error'),
} as const;

/** Thrown by routes and hooks for an answer that is not a domain error. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
  }
}

/** The `errors` member of every 4xx a route can answer, as the OpenAPI document lists them. */
export function problemResponses<const C extends number>(...codes: C[]): Record<C, { description: string; content: { [PROBLEM_CONTENT_TYPE]: { schema: typeof problemSchema } } }> {
  return Object.fromEntries(
    codes.map((c) => [c, { description: DESCRIPTIONS[c] ?? 'Problem', content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } } }]),
  ) as Record<C, { description: string; content: { [PROBLEM_CONTENT_TYPE]: { schema: typeof problemSchema } } }>;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: every offending field is listed in `errors`',
  401: 'Missing or wrong credentials',
  403: 'The request comes from a source that is not allowed',
  404: 'Not found',
  409: 'Conflict: the order refused the change, or the id is taken by another body',
  413: 'Request body too large',
  415: 'Unsupported content type',
  503: 'Temporal or the workers are unavailable',
};

/** `instance` defaults to the request's path; a route whose path carries a secret gives its own. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, p: Omit<Problem, 'instance'>, headers: Record<string, string> = {}, instance = request.url.split('?')[0]): FastifyReply {
  return reply
    .code(p.status)
    .headers(headers)
    .type(PROBLEM_CONTENT_TYPE)
    .send({ ...p, instance });
}

const CONTEXT_PREFIX: Record<string, string> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' };

/** `body` + ['organization', 'countryCode'] → `body.organization.countryCode`. */
export function fieldPath(context: string, segments: readonly (string | number)[]): string {
  return [context, ...segments.map(String)].filter((s) => s !== '').join('.');
}

/** Zod issues as field errors; an unknown key names itself rather than its parent. */
export function fieldErrors(context: string, issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.flatMap((issue): FieldError[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({ path: fieldPath(context, [...issue.path.map((s) => String(s)), k]), rule: 'is not a known field' }));
    }
    return [{ path: fieldPath(context, issue.path.map((s) => String(s))), rule: issue.message }];
  });
}

function validationProblem(err: FastifyError & { validation: { instancePath: string; message?: string; keyword: string; params: Record<string, unknown> }[] }): Omit<Problem, 'instance'> {
  const context = CONTEXT_PREFIX[err.validationContext ?? 'body'] ?? 'body';
  const errors = err.validation.flatMap((v): FieldError[] => {
    const segments = v.instancePath.split('/').filter(Boolean);
    if (v.keyword === 'unrecognized_keys' && Array.isArray(v.params.keys)) {
      return (v.params.keys as unknown[]).map((k) => ({ path: fieldPath(context, [...segments, String(k)]), rule: 'is not a known field' }));
    }
    return [{ path: fieldPath(context, segments), rule: v.message ?? v.keyword }];
  });
  return {
    type: ProblemType.validation,
    title: 'Invalid request',
    status: 400,
    detail: `The request does not match the schema: ${errors.map((e) => `${e.path} ${e.rule}`).join('; ')}`,
    errors,
  };
}

/** Fastify's own client errors (body parsing and limits) by their code. */
const FASTIFY_CLIENT_ERRORS: Record<string, { type: string; title: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { type: ProblemType.tooLarge, title: 'Request body too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { type: ProblemType.unsupportedMediaType, title: 'Unsupported content type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { type: ProblemType.malformed, title: 'Malformed request' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { type: ProblemType.malformed, title: 'Malformed request' },
  FST_ERR_CTP_INVALID_JSON_BODY: { type: ProblemType.malformed, title: 'Malformed request' },
};

/** Maps every error to a problem document: domain errors by class, client errors by status. */
export function toProblem(err: unknown): { problem: Omit<Problem, 'instance'>; headers?: Record<string, string> } | undefined {
  if (err instanceof HttpProblem) {
    return { problem: { type: err.type, title: err.title, status: err.status, detail: err.detail, errors: err.errors }, headers: err.headers };
  }
  if (hasZodFastifySchemaValidationErrors(err)) return { problem: validationProblem(err) };
  if (err instanceof OrderNotFoundError) {
    return { problem: { type: ProblemType.orderNotFound, title: 'Order not found', status: 404, detail: err.message } };
  }
  if (err instanceof OrderConflictError) {
    return { problem: { type: ProblemType.conflict, title: 'Billing order id already used', status: 409, detail: err.message } };
  }
  if (err instanceof OrderRejectedError) {
    return { problem: { type: ProblemType.rejected, title: 'The order refused the change', status: 409, detail: err.message } };
  }
  if (err instanceof InvalidPageTokenError) {
    return {
      problem: { type: ProblemType.validation, title: 'Invalid request', status: 400, detail: err.message, errors: [{ path: 'query.pageToken', rule: err.message }] },
    };
  }
  if (err instanceof UnknownProductError) {
    return {
      problem: { type: ProblemType.validation, title: 'Invalid request', status: 400, detail: err.message, errors: [{ path: 'body.productId', rule: 'is not a product this service sells' }] },
    };
  }
  if (err instanceof InvalidOrderError) {
    const errors = err.issues.map((i) => ({ path: fieldPath('body', i.path), rule: i.rule }));
    return {
      problem: { type: ProblemType.validation, title: 'Invalid request', status: 400, detail: `The order does not fit its product: ${errors.map((e) => `${e.path} ${e.rule}`).join('; ')}`, errors },
    };
  }
  if (err instanceof OrderTooLargeError) {
    return { problem: { type: ProblemType.tooLarge, title: 'Order too large', status: 413, detail: err.message } };
  }
  if (err instanceof TemporalUnavailableError) {
    return { problem: { type: ProblemType.unavailable, title: 'Service unavailable', status: 503, detail: err.message }, headers: { 'retry-after': '5' } };
  }
  const e = err as Partial<FastifyError> | undefined;
  const status = typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined && status >= 400 && status < 500) {
    const known = (e?.code && FASTIFY_CLIENT_ERRORS[e.code]) || { type: ProblemType.malformed, title: 'Malformed request' };
    // Fastify's client-error messages describe the request, never our internals.
    return { problem: { ...known, status, detail: e?.message } };
  }
  return undefined;
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply, instance?: string): FastifyReply {
  const mapped = toProblem(err);
  if (mapped) {
    if (mapped.problem.status >= 500) request.log.warn({ err }, mapped.problem.title);
    return sendProblem(request, reply, mapped.problem, mapped.headers, instance);
  }
  request.log.error({ err }, 'unhandled error');
  return sendProblem(request, reply, {
    type: ProblemType.internal,
    title: 'Internal error',
    status: 500,
    detail: `Something went wrong on our side; quote request id ${request.id} when reporting it.`,
  }, {}, instance);
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(request, reply, {
    type: ProblemType.notFound,
    title: 'Not found',
    status: 404,
    detail: `No route ${request.method} ${request.url.split('?')[0]}; see /openapi.json.`,
  });
}
