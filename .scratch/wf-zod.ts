import { condition, proxyActivities } from '@temporalio/workflow';
import { cancelInputSchema } from '../src/workflows/definitions';
const { step } = proxyActivities<{ step(i: number): Promise<number> }>({ startToCloseTimeout: '1m' });
export async function park(): Promise<void> { await step(0); cancelInputSchema.parse({ reason: 'x' }); await condition(() => false, '30 days'); }
