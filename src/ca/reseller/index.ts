/**
 * The reseller platform (seed 004): the `Issuer` (issuer.ts) over its client — the documented
 * reissue, the create and status read inferred by analogy — with its wire schemas, the
 * document's rules, `unique_id`, the answer read into per-domain validations, the
 * organisation mapping and the notify_url. Everything the document does not say is in
 * `inferred.ts`.
 */
export * from './client';
export * from './descriptor';
export * from './issuer';
export * from './notify';
export * from './organization';
export * from './schemas';
export * from './rules';
export * from './mapping';
export * from './unique-id';
export * from './inferred';
