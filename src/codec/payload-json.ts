import type { Payload } from '@temporalio/common';
import { z } from 'zod';

/**
 * The codec-server protocol body: `temporal.api.common.v1.Payloads` in protobuf-JSON form,
 * i.e. bytes fields (data, metadata values) as base64 strings. Protobuf-JSON readers accept
 * both standard and URL-safe base64, padded or not, so this does too.
 */

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');

export const payloadsJsonSchema = z.object({
  payloads: z
    .array(
      z.object({
        metadata: z.record(z.string(), base64).nullish(),
        data: base64.nullish(),
      }),
    )
    .max(10_000),
});
export type PayloadsJson = z.input<typeof payloadsJsonSchema>;
export type PayloadJson = PayloadsJson['payloads'][number];

export function payloadFromJson({ metadata, data }: z.output<typeof payloadsJsonSchema>['payloads'][number]): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(data ?? '', 'base64'),
  };
}

// Buffer.from copies, and also accepts the plain arrays protobufjs uses for empty bytes defaults.
const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

export function payloadToJson({ metadata, data }: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, toBase64(v)])),
    data: toBase64(data ?? new Uint8Array()),
  };
}
