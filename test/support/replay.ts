/**
 * Shared by the history recorder (test/histories/record.ts) and the replay tests
 * (test/replay): where histories live, what each one is, and the data converter both sides use.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import { parseConfig } from '../../src/config';
import type { z } from 'zod';
import type { organizationSchema } from '../../src/domain/documents';
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
  workflowType: 'orderWorkflow' | 'reissueWorkflow' | 'revokeWorkflow' | 'boundOrderWorkflow';
  scenario: string;
  /** Recorded with the AES-GCM payload codec (test-only key). */
  codec: boolean;
  /** Which workflow code recorded it: the newest patch id it carried (`pre-<id>`: before that patch). */
  code: string;
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

/*
 * History ⇄ proto JSON (the format of `temporal workflow show --output json` and of the SDK's
 * historyToJSON/historyFromJSON). We do not call those two SDK helpers: in this install
 * @temporalio/common and @temporalio/proto each carry their own copy of protobufjs, so the
 * helpers' `toJson(type)` rejects the History type with "type must be a Type". Using the
 * protobufjs copy that @temporalio/proto itself resolves avoids the mismatch. For the same
 * reason the replay tests hand Worker.runReplayHistories decoded History objects, not JSON
 * (runReplayHistories would call historyFromJSON on JSON).
 */
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const protojson = require(require.resolve('protobufjs/ext/protojson', { paths: [path.dirname(require.resolve('@temporalio/proto'))] })) as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

export type History = proto.temporal.api.history.v1.IHistory;

export function historyToProtoJson(history: History): unknown {
  return protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history));
}

export function historyFromProtoJson(json: unknown): History {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { events?: unknown }).events)) {
    throw new TypeError('not a history: expected an object with an "events" array');
  }
  return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}

export interface LoadedHistory {
  file: string;
  entry: HistoryEntry;
  history: History;
}

export function loadHistory(file: string, manifest: Manifest = readManifest()): LoadedHistory {
  const entry = manifest[file];
  if (!entry) throw new Error(`${file} is not listed in test/histories/manifest.json (record it with npm run histories:record)`);
  const history = historyFromProtoJson(JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
  return { file, entry, history };
}

/** The canonical text of a JSON file in test/histories: 2-space indent, final newline. */
export const prettyJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Patch ids whose markers a history file carries (core writes them as plain JSON payloads). */
export function patchMarkers(file: string): string[] {
  const json = JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as {
    events: { markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, { payloads?: { data?: string }[] }> } }[];
  };
  const ids: string[] = [];
  for (const e of json.events) {
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName !== 'core_patch') continue;
    const data = m.details?.['patch-data']?.payloads?.[0]?.data;
    if (data) ids.push((JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id);
  }
  return ids;
}
