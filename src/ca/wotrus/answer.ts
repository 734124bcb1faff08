import { type z } from 'zod';
import { CaBusinessError, CaProtocolError, type CaOperation, type ProtocolIssue } from '../errors';
import { envelopeSchema } from './schemas';

/** Where an answer came from, for the errors raised while reading it. */
export interface AnswerContext {
  issuer?: string;
  operation: CaOperation;
  requestId: string;
  httpStatus?: number;
  /** Scrubs secrets from any CA text that ends up in an error. */
  redact?: (text: string) => string;
}

const PREVIEW_CHARS = 120;

/** Zod issues as dotted paths (`data.orderId`) an operator can read in a failure message. */
export function toProtocolIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): ProtocolIssue[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path].map(String).join('.'),
    message: issue.message,
  }));
}

/** JSON.parse, failing as a CaProtocolError that shows the start of what came instead. */
export function parseJsonAnswer(text: string, ctx: AnswerContext): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const redact = ctx.redact ?? ((s: string) => s);
    const preview = redact(text.slice(0, PREVIEW_CHARS)).replace(/\s+/g, ' ').trim();
    throw new CaProtocolError({
      ...ctx,
      issues: [{ path: '', message: `body is not JSON${preview ? ` (starts with "${preview}")` : ' (empty)'}` }],
    });
  }
}

/**
 * An operation's own reading of an `isSuccess: false` answer: an error to throw instead of
 * the CaBusinessError (e.g. RetrievePem's "not issued yet"), or undefined to keep it.
 * `caMessage` is already redacted.
 */
export type RefusalReader = (data: unknown, caMessage: string, ctx: AnswerContext) => Error | undefined;

/**
 * Reads the envelope, turns `isSuccess: false` into a CaBusinessError (unless `onRefusal`
 * reads it otherwise), and only then reads `data` with the operation's schema, so a failure
 * answer with `data: null` is never mistaken for a malformed one.
 */
export function readAnswer<S extends z.ZodType>(body: unknown, dataSchema: S, ctx: AnswerContext, onRefusal?: RefusalReader): z.output<S> {
  const redact = ctx.redact ?? ((s: string) => s);
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) {
    throw new CaProtocolError({ ...ctx, issues: toProtocolIssues(envelope.error) });
  }
  if (!envelope.data.isSuccess) {
    const caMessage = redact(envelope.data.errorMsg ?? 'isSuccess is false (no errorMsg)');
    throw onRefusal?.(envelope.data.data, caMessage, ctx) ?? new CaBusinessError({ ...ctx, caMessage });
  }
  const data = dataSchema.safeParse(envelope.data.data);
  if (!data.success) {
    throw new CaProtocolError({ ...ctx, issues: toProtocolIssues(data.error, ['data']) });
  }
  return data.data;
}
