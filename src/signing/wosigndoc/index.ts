/** WoSignDoc, WoSign's document-signing platform: client, wire schemas, error codes, push reading, mutual TLS. */
export * from './client';
export * from './schemas';
export * from './mapping';
export * from './push';
export * from './tls';
