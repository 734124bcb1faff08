/**
 * Shared by the history recorder (scripts/record-histories.ts) and the replay tests
 * (test/replay): where histories live, what each one is, and the data converter both sides use.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { parseConfig } from '../../src/config';
import type { z } from 'zod';
import type { organizationSchema } from '../../src/domain/order';
import { createDataConverter } from '../../src/temporal/data-converter';
import { PUSH_SECRET, SIM_ADMIN_TOKEN, TOKEN } from './order-harness';

export const HISTORIES_DIR = path.resolve(__dirname, '..', 'histories');
export const MANIFEST_FILE = path.join(HISTORIES_DIR, 'manifest.json');

/**
 * TEST-ONLY payload codec key. It protects nothing: it is committed so that the replay
 * tests can decrypt the histories recorded with the codec, whose data is synthetic anyway.
 * Never use it (or anything derived from it) outside test/histories. Production keys come
 * from CODEC_KEYS / CODEC_KEYS_FILE (see README) and never appear in this repository.
 */
export const REPLAY_CODEC_KEY_ID = 'replay-test-only';
export const REPLAY_CODEC_KEY_BASE64 = '2C0y3umFC7Dp+P1t2m5JJ0pzqgEZGmn0er9AQJu5A74=';
export const REPLAY_CODEC_ENV = {
  CODEC_KEYS: `${REPLAY_CODEC_KEY_ID}:${REPLAY_CODEC_KEY_BASE64}`,
  CODEC_CURRENT_KEY_ID: REPLAY_CODEC_KEY_ID,
} as const;

/**
 * The production data converter (src/temporal/data-converter.ts) configured with the
 * test-only key: AES-GCM payload codec plus the failure converter that encodes messages.
 * It decodes plain (unencrypted) payloads unchanged, so one converter replays every history.
 */
export function replayDataConverter(): DataConverter {
  return createDataConverter(parseConfig({ ...REPLAY_CODEC_ENV }));
}

/**
 * Synthetic personal data of the OV order: recorded only with the codec, and the hygiene
 * test checks that none of these strings appears in any history, plain or in base64.
 */
export const SYNTHETIC_ORGANIZATION: z.input<typeof organizationSchema> = {
  orgName: 'Quillfeather Replay Fixtures Ltd',
  countryCode: 'CN',
  orgPhone: '+86-10-5550-1717',
  orgEmail: 'office@quillfeather-replay.example',
  userFirstName: 'Ottoline',
  userLastName: 'Fairweather-Replay',
  userEmail: 'ottoline.fairweather@quillfeather-replay.example',
  userMobile: '+86-139-5550-4242',
  idCardNo: 'RPLY-ID-77310042',
  city: 'Hangzhou-Replayville',
  street: '17 Synthetic Fixture Lane',
  zip: '310099',
};
export const SYNTHETIC_CONTACT = { email: 'ottoline.contact@quillfeather-replay.example', name: 'Ottoline Fairweather-Replay' };

export const SYNTHETIC_PERSONAL_STRINGS: readonly string[] = [
  ...Object.entries(SYNTHETIC_ORGANIZATION)
    .filter(([k]) => k !== 'countryCode')
    .map(([, v]) => String(v)),
  SYNTHETIC_CONTACT.email,
  SYNTHETIC_CONTACT.name,
];

/** What must never appear in a history file (the harness's test credentials and the codec key). */
export const FORBIDDEN_SECRETS: readonly string[] = [TOKEN, PUSH_SECRET, SIM_ADMIN_TOKEN, REPLAY_CODEC_KEY_BASE64, REPLAY_CODEC_ENV.CODEC_KEYS];

export interface HistoryEntry {
  /** The workflow id to replay with (sdk-typescript #1790: child ids derive from it). */
  workflowId: string;
  runId: string;
  workflowType: 'orderWorkflow' | 'reissueWorkflow' | 'revokeWorkflow';
  scenario: string;
  /** Recorded with the AES-GCM payload codec (test-only key). */
  codec: boolean;
  /** Which workflow code recorded it: before or after the poll-jitter-v2 patch. */
  code: 'pre-poll-jitter-v2' | 'poll-jitter-v2';
  events: number;
  description: string;
}

export type Manifest = Record<string, HistoryEntry>;

export function readManifest(): Manifest {
  if (!fs.existsSync(MANIFEST_FILE)) return {};
  return JSON.parse(fs.readFileSync(MANIFEST_FILE, 'utf8')) as Manifest;
}

export function historyFiles(): string[] {
  return fs
    .readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json') && f !== 'manifest.json')
    .sort();
}

export interface LoadedHistory {
  file: string;
  entry: HistoryEntry;
  history: temporal.api.history.v1.IHistory;
}

export function loadHistory(file: string, manifest: Manifest = readManifest()): LoadedHistory {
  const entry = manifest[file];
  if (!entry) throw new Error(`${file} is not listed in test/histories/manifest.json (record it with npm run histories:record)`);
  const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
  return { file, entry, history };
}

/** The canonical text of a JSON file in test/histories: 2-space indent, final newline. */
export const prettyJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
