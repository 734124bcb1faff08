/**
 * The Web UI's current details of a per-name order (src/workflows/record.ts `domainFacts`):
 * one line per name — method and state, what to publish, certflow's own look — the way the
 * ACMAPI orders show each domain's file.
 */
import type { DomainStatus } from '../../src/domain/order-view';
import { domainFacts } from '../../src/workflows/record';

test('one line per name: method, state, the CNAME / file / approver, and what certflow found', () => {
  const domains: DomainStatus[] = [
    { domain: 'example.com', method: 'dns', state: 'pending', dns: { name: '_dnsauth.example.com', type: 'CNAME', value: 'x7.dcv.example.net' }, check: { ready: false, problem: 'no CNAME at _dnsauth.example.com', checkedAt: '2026-12-06T02:00:00.000Z' } },
    { domain: 'www.example.com', method: 'https', state: 'pending', file: { url: 'https://www.example.com/.well-known/pki-validation/f1.txt', path: '/.well-known/pki-validation/f1.txt', content: 'token-f1' }, check: { ready: true, checkedAt: '2026-12-06T02:00:00.000Z' } },
    { domain: '*.example.com', method: 'email', state: 'pending', email: { address: 'admin@example.com', alternatives: ['admin@example.com'] } },
    { domain: 'api.example.com', method: 'http', state: 'pending', check: { ready: false, checkedAt: '2026-12-06T02:00:00.000Z' } },
    { domain: 'shop.example.com', method: 'dns', state: 'valid' },
  ];
  expect(domainFacts(domains)).toEqual([
    'example.com: dns, pending — CNAME _dnsauth.example.com → x7.dcv.example.net — not ready: no CNAME at _dnsauth.example.com',
    'www.example.com: https, pending — file https://www.example.com/.well-known/pki-validation/f1.txt — ready as certflow sees it',
    '*.example.com: email, pending — approver admin@example.com',
    'api.example.com: http, pending — not ready as certflow sees it',
    'shop.example.com: dns, valid',
  ]);
});

test('no facts for an order that does not validate per name', () => {
  expect(domainFacts(undefined)).toEqual([]);
  expect(domainFacts([])).toEqual([]);
});
