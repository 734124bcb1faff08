import type { Log } from '../support/fault-stack';
import type { ScenarioResult, Size } from '../support/result';

export interface ScenarioEnv {
  size: Size;
  log: Log;
  /** A dev server to share (the jest integration project's); scenarios that restart Temporal start their own. */
  temporalAddress?: string;
}

export interface Scenario {
  id: string;
  title: string;
  /** Restarts Temporal: never runs on a shared server. */
  ownServer?: boolean;
  run(env: ScenarioEnv): Promise<ScenarioResult>;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const between = (lo: number, hi: number): number => lo + Math.random() * (hi - lo);
