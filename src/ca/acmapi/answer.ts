import { CaProtocolError } from '../errors';
import { toProtocolIssues, type AnswerContext } from '../http-answer';
import { errorOf } from './mapping';
import { answerSchema, type IssuedAnswer, type PendingAnswer } from './schemas';

/**
 * Reads an ACMAPI answer (already JSON): `success` and `pending` come back, `error` is thrown
 * as the error its code stands for, and an answer we cannot read (no `result` or `status`,
 * the two disagreeing, a success without certificate) is a CaProtocolError.
 */
export function readAnswer(body: unknown, ctx: AnswerContext): IssuedAnswer | PendingAnswer {
  const read = answerSchema.safeParse(body);
  if (!read.success) {
    const redact = ctx.redact ?? ((s: string) => s);
    const issues = toProtocolIssues(read.error).map((i) => ({ path: i.path, message: redact(i.message) }));
    throw new CaProtocolError({ ...ctx, issues });
  }
  if (read.data.result === 'error') throw errorOf(read.data, ctx);
  return read.data;
}
