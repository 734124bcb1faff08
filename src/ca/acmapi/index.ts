/** The WoSign ACMAPI issuer: client, wire schemas, error mapping, signfile and chain. */
export * from './client';
export * from './descriptor';
export * from './schemas';
export * from './mapping';
export { readAnswer } from './answer';
export { readChainFile, parseChainPems } from './chain-file';
export { certificatePems, derToPem, pemBlocks, type PemBlock } from './pem';
