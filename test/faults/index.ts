/** The fault scenarios, in the order the suite runs them (see docs/reliability.md). */
import { acmapiLostAnswers } from './scenarios/acmapi-lost-answers';
import { resellerLostAnswers } from './scenarios/reseller-lost-answers';
import { authFailure } from './scenarios/auth-failure';
import { caFaults } from './scenarios/ca-faults';
import { concurrentCreate } from './scenarios/concurrent-create';
import { killWorker } from './scenarios/kill-worker';
import { pushes } from './scenarios/pushes';
import { restartCluster, restartServer } from './scenarios/restart-server';
import { twoWorkers } from './scenarios/two-workers';
import type { Scenario } from './scenarios/types';

export const SCENARIOS: readonly Scenario[] = [killWorker, restartServer, restartCluster, caFaults, authFailure, concurrentCreate, pushes, twoWorkers, acmapiLostAnswers, resellerLostAnswers];

export type { Scenario, ScenarioEnv } from './scenarios/types';
export type { ScenarioResult } from './support/result';
export { reliabilityMarkdown, terminalTable } from './report';
