/**
 * Every CA adapter certflow ships, by id: the products file names one of these for each
 * product, and the API records the chosen issuer's capabilities in the order's input.
 * Adding a CA adds its descriptor here (docs/architecture.md, "Adding a CA").
 */
import { type IssuerDescriptor, type IssuerRef, issuerRef } from './issuer';
import { ACMAPI } from './acmapi/descriptor';
import { RESELLER } from './reseller/descriptor';
import { WOTRUS } from './wotrus/descriptor';

export const ISSUER_DESCRIPTORS: readonly IssuerDescriptor[] = Object.freeze([WOTRUS, ACMAPI, RESELLER]);

export const ISSUER_IDS: readonly string[] = Object.freeze(ISSUER_DESCRIPTORS.map((d) => d.id));

/** The product kinds of issuers limited to some (ACMAPI: DV only), for the products file check. */
export const ISSUER_PRODUCT_KINDS: Readonly<Record<string, readonly string[] | undefined>> = Object.freeze(Object.fromEntries(ISSUER_DESCRIPTORS.map((d) => [d.id, d.productKinds])));

export function issuerDescriptor(id: string): IssuerDescriptor | undefined {
  return ISSUER_DESCRIPTORS.find((d) => d.id === id);
}

/** The issuer as an order's workflow records it; throws for an id no adapter has (the products file is validated against ISSUER_IDS). */
export function issuerRefFor(id: string): IssuerRef {
  const d = issuerDescriptor(id);
  if (!d) throw new Error(`no issuer adapter "${id}" (known: ${ISSUER_IDS.join(', ')})`);
  return issuerRef(d);
}
