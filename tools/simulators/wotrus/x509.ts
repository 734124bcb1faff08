/**
 * The one place that wires @peculiar/x509 to Node's WebCrypto. Every simulator module (and
 * every test helper) imports x509 from here, so the reflect-metadata polyfill is loaded
 * before the library's decorators run and the crypto provider is always set.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
export const subtle = webcrypto.subtle;
