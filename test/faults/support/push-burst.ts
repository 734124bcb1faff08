/**
 * Sends a burst of CA pushes (signed when given a secret, else as the WoTrus document shows them) from a process of its own, as the CA would, so the
 * measured answer times are the API's and not the sender's: 1,000 concurrent requests from
 * inside the API's own event loop measure mostly the sender.
 *
 * As a module: `sendBurst(...)` spawns it. As a script: reads `{pushUrl, secret, bodies, warmUp}` as JSON
 * on stdin, writes `[{status, ms}]` as JSON on stdout.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { PUSH_SIGNATURE_HEADER, signPushBody } from '../../../src/ca/wotrus/push';
import { ROOT, track } from './worker-process';

export interface BurstAnswer {
  status: number;
  ms: number;
}

interface Job {
  /** The API's push receiver, e.g. http://127.0.0.1:4000/v1/ca/wotrus/push. */
  pushUrl: string;
  /** Empty: unsigned pushes. */
  secret: string;
  bodies: Record<string, unknown>[];
  /** Unmeasured pushes sent first (a service under test is warm, as in production). */
  warmUp: number;
}

async function fire(job: Job, bodies: Record<string, unknown>[]): Promise<BurstAnswer[]> {
  return Promise.all(
    bodies.map(async (b) => {
      const raw = JSON.stringify(b);
      const t0 = performance.now();
      try {
        const headers: Record<string, string> = { 'content-type': 'application/json', ...(job.secret ? { [PUSH_SIGNATURE_HEADER]: signPushBody(job.secret, raw) } : {}) };
        const res = await fetch(job.pushUrl, { method: 'POST', headers, body: raw });
        await res.arrayBuffer();
        return { status: res.status, ms: Math.round(performance.now() - t0) };
      } catch {
        return { status: 0, ms: Math.round(performance.now() - t0) };
      }
    }),
  );
}

async function runJob(job: Job & { url?: string }): Promise<BurstAnswer[]> {
  job.pushUrl ??= `${job.url}/v1/ca/wotrus/push`;
  // Warm-up: the sender's connections and both processes' code paths.
  await fire(job, Array.from({ length: job.warmUp }, (_, i) => ({ dataAction: 'order', orderId: `WARMUP${Date.now()}${i}`, isIssued: false, isRevoked: false })));
  return fire(job, job.bodies);
}

export function sendBurst(pushUrl: string, secret: string, bodies: Record<string, unknown>[], warmUp = 200): Promise<BurstAnswer[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'push-burst.ts')], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    track(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => void (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => void (err += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`push burst sender exited ${code}: ${err.slice(-1000)}`));
      try {
        resolve(JSON.parse(out) as BurstAnswer[]);
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    child.stdin.end(JSON.stringify({ pushUrl, secret, bodies, warmUp } satisfies Job));
  });
}

if (require.main === module) {
  let input = '';
  process.stdin.on('data', (c: Buffer) => void (input += c.toString()));
  process.stdin.on('end', () => {
    runJob(JSON.parse(input) as Job).then(
      (answers) => process.stdout.write(JSON.stringify(answers)),
      (e: unknown) => {
        process.stderr.write(String(e));
        process.exit(1);
      },
    );
  });
}
