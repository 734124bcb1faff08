/**
 * Recorded histories are reviewed data committed to the repository: canonical pretty JSON
 * (reviewable diffs), small, listed in the manifest, free of secrets and of plain-text
 * personal data — also in base64, the form payload data takes in proto JSON.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Payload } from '@temporalio/common';
import { HISTORIES_DIR, FORBIDDEN_SECRETS, MANIFEST_FILE, SYNTHETIC_ORGANIZATION, SYNTHETIC_PERSONAL_STRINGS, historyFiles, prettyJson, readManifest, replayDataConverter } from '../support/replay';

/** A history file larger than this needs its durations trimmed (policy overrides in the recorder). */
const MAX_BYTES = 200 * 1024;

const files = historyFiles();
const text = new Map(files.map((f) => [f, fs.readFileSync(path.join(HISTORIES_DIR, f), 'utf8')]));

/** Every payload's data (base64 in proto JSON), decoded: what a reader of the history sees. */
function decodedPayloads(json: unknown, out: string[] = []): string[] {
  if (Array.isArray(json)) for (const v of json) decodedPayloads(v, out);
  else if (json && typeof json === 'object') {
    for (const [k, v] of Object.entries(json)) {
      if (k === 'data' && typeof v === 'string') out.push(Buffer.from(v, 'base64').toString('utf8'));
      else decodedPayloads(v, out);
    }
  }
  return out;
}
const decoded = new Map(files.map((f) => [f, decodedPayloads(JSON.parse(text.get(f)!)).join('\n')]));

/** Shapes of credentials that no history may hold, whatever their value. */
const SECRET_SHAPES: readonly RegExp[] = [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, /\bkey_[0-9a-f]{24}\b/, /WoTrusToken/i];

/**
 * Every base64 form `s` can take inside a longer base64 string: the encoding of s at each of
 * the three byte alignments, without the characters that depend on neighbouring bytes.
 */
function base64Forms(s: string): string[] {
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset += 1) {
    const padded = Buffer.concat([Buffer.alloc(offset), Buffer.from(s, 'utf8')]);
    let enc = padded.toString('base64').replace(/=+$/, '');
    // drop the characters that mix in the (unknown) preceding bytes …
    enc = enc.slice(Math.ceil((offset * 4) / 3));
    // … and the last one, which mixes in the (unknown) following bytes
    const tailBits = (padded.length * 8) % 6;
    if (tailBits !== 0) enc = enc.slice(0, -1);
    forms.push(enc);
  }
  return forms;
}

function occurrences(haystack: string, needle: string): boolean {
  if (haystack.includes(needle)) return true;
  return base64Forms(needle).some((form) => form.length >= 8 && haystack.includes(form));
}

/** In the file as stored (plain or any base64 alignment) or in its decoded payloads. */
const found = (file: string, needle: string): boolean => occurrences(text.get(file)!, needle) || decoded.get(file)!.includes(needle);

describe('recorded histories are clean, reviewable data', () => {
  it('there are histories, each listed in the manifest, and the manifest lists nothing else', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
    expect(Object.keys(readManifest()).sort()).toEqual(files);
    expect(fs.readFileSync(MANIFEST_FILE, 'utf8')).toBe(prettyJson(JSON.parse(fs.readFileSync(MANIFEST_FILE, 'utf8'))));
  });

  it('base64Forms finds a string at any alignment inside base64', () => {
    for (const prefix of ['', 'x', 'xy', 'xyz']) {
      const b64 = Buffer.from(`${prefix}office@example.test and more`).toString('base64');
      expect(occurrences(b64, 'office@example.test')).toBe(true);
    }
    expect(occurrences(Buffer.from('nothing here').toString('base64'), 'office@example.test')).toBe(false);
  });

  it.each(files)('%s: pretty-printed JSON (2-space indent, final newline), under 200 KiB, with events', (file) => {
    const t = text.get(file)!;
    const parsed = JSON.parse(t) as { events?: unknown[] };
    expect(t).toBe(prettyJson(parsed));
    expect(Buffer.byteLength(t)).toBeLessThanOrEqual(MAX_BYTES);
    expect(parsed.events?.length).toBeGreaterThan(0);
    expect(readManifest()[file]?.events).toBe(parsed.events?.length);
  });

  it.each(files)('%s: no secrets (CA token, push secret, admin token, codec key, API keys, private keys), plain, base64 or in payloads', (file) => {
    expect(FORBIDDEN_SECRETS.filter((s) => found(file, s))).toEqual([]);
    expect(SECRET_SHAPES.filter((re) => re.test(text.get(file)!) || re.test(decoded.get(file)!)).map(String)).toEqual([]);
    expect(found(file, 'PRIVATE KEY-----')).toBe(false);
  });

  it.each(files)('%s: no synthetic personal data, plain, base64 or in payloads', (file) => {
    expect(SYNTHETIC_PERSONAL_STRINGS.filter((s) => found(file, s))).toEqual([]);
  });

  it('the payload decoding sees what plain histories hold (the check is not vacuous)', () => {
    expect(decoded.get('order-happy-path-pushes.json')).toContain('BEGIN CERTIFICATE REQUEST');
    expect(decoded.get('order-ov-review.json')).not.toContain('BEGIN CERTIFICATE REQUEST'); // codec: ciphertext only
  });

  it('the personal data is really there, encrypted: decrypting ov-review with the test key reveals it', async () => {
    const payloads: Payload[] = [];
    (function collect(json: unknown): void {
      if (Array.isArray(json)) json.forEach(collect);
      else if (json && typeof json === 'object') {
        const o = json as { metadata?: Record<string, string>; data?: string };
        if (o.metadata && typeof o.data === 'string') {
          payloads.push({ metadata: Object.fromEntries(Object.entries(o.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])), data: Buffer.from(o.data, 'base64') });
        } else Object.values(json).forEach(collect);
      }
    })(JSON.parse(text.get('order-ov-review.json')!));
    const plain = await replayDataConverter().payloadCodecs![0]!.decode(payloads);
    const all = plain.map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
    expect(all).toContain(SYNTHETIC_ORGANIZATION.orgName);
    expect(all).toContain(SYNTHETIC_ORGANIZATION.userEmail);
  });

  it('histories whose order carries organisation or contact data were recorded with the codec', () => {
    const manifest = readManifest();
    for (const scenario of ['ov-review', 'revoke', 'auth-failure-recovery']) {
      const entries = Object.entries(manifest).filter(([, e]) => e.scenario === scenario);
      expect(entries.length).toBeGreaterThan(0);
      for (const [file, e] of entries) expect({ file, codec: e.codec }).toEqual({ file, codec: true });
    }
  });
});
