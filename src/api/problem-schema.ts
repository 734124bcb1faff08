import { z } from 'zod';

/**
 * RFC 9457 problem details: every error the API answers has this shape. Alone in a module
 * without fastify so that the CLI can read problems without loading the server.
 */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const fieldErrorSchema = z.object({
  path: z.string().describe('where the problem is, e.g. body.organization.countryCode'),
  rule: z.string().describe('what the value must be'),
});
export type FieldError = z.output<typeof fieldErrorSchema>;

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(fieldErrorSchema).optional(),
  })
  .meta({ id: 'Problem' });
export type Problem = z.output<typeof problemSchema>;

