import { readFile } from 'node:fs/promises';
import type { ApiClient } from './http';

/** Where a CLI run writes: process streams in production, buffers in tests. */
export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  readFile?: (path: string) => Promise<Buffer>;
}

/** What every command gets: the API, the output mode and the I/O it may use. */
export interface CommandContext {
  api: ApiClient;
  json: boolean;
  out(line: string): void;
  err(line: string): void;
  stdout: OutputStream;
  sleep(ms: number): Promise<void>;
  readFile(path: string): Promise<Buffer>;
}

export const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const defaultReadFile = (path: string): Promise<Buffer> => readFile(path);
