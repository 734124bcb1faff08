/** The WoTrus issuer: client, wire schemas, error taxonomy and push handling. */
export * from './client';
export * from './descriptor';
export * from './push';
export * from './schemas';
export { parseRetryAfter } from '../http-answer';
export { readAnswer, parseJsonAnswer, type AnswerContext } from './answer';
export * from './mapping';
export * from './statuses';
