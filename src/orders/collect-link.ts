import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The link the CA e-mails to the end customer (`collectUrl`). The customer has no API key,
 * so the certificate route also accepts an HMAC of the billing order id. A certificate is
 * public data (it is in CT logs); the signature only stops enumeration of order ids.
 */
function mac(secret: string, billingOrderId: string): Buffer {
  return createHmac('sha256', secret).update(`collect:${billingOrderId}`).digest();
}

export function signCollectLink(secret: string, billingOrderId: string): string {
  return mac(secret, billingOrderId).toString('base64url');
}

export function verifyCollectLink(secret: string, billingOrderId: string, signature: string): boolean {
  const expected = mac(secret, billingOrderId);
  const given = Buffer.from(signature, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function collectUrl(base: string, billingOrderId: string, secret: string | undefined): string {
  const path = `${base}/v1/orders/${encodeURIComponent(billingOrderId)}/certificate`;
  return secret ? `${path}?format=pem&sig=${signCollectLink(secret, billingOrderId)}` : path;
}
