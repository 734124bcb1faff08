import { type z } from 'zod';
import { CaBusinessError, CaProtocolError } from '../errors';
import { toProtocolIssues, type AnswerContext } from '../http-answer';
import { envelopeSchema } from './schemas';

/** The generic answer reading lives in `../http-answer`; re-exported for the WoTrus callers that import it from here. */
export { parseJsonAnswer, toProtocolIssues, type AnswerContext } from '../http-answer';

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
