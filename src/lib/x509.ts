/**
 * @peculiar/x509 wired to Node's WebCrypto, for production code (the simulator has its own
 * wiring so it can be lifted out). reflect-metadata must load before the library.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
