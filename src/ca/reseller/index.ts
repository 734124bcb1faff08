/**
 * The reseller platform (seed 004): its reissue call — client, wire schemas, the document's
 * rules, `unique_id`, and the answer read into per-domain validations. Everything the
 * document does not say is in `inferred.ts`. Not in the registry yet (issue 18).
 */
export * from './client';
export * from './schemas';
export * from './rules';
export * from './mapping';
export * from './unique-id';
export * from './inferred';
