import { condition, proxyActivities } from '@temporalio/workflow';
const { step } = proxyActivities<{ step(i: number): Promise<number> }>({ startToCloseTimeout: '1m' });
export async function park(): Promise<void> { await step(0); await condition(() => false, '30 days'); }
