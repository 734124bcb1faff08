/**
 * What an order costs the engine, read from histories: activities, timers, signals and
 * workflow tasks per order (averaged over a sample), which phase C gives its bare workflow.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export interface HistoryShape {
  sampled: number;
  activities: number;
  /** Local activities (inline reads and checks): markers in the history, no activity task. */
  localActivities: number;
  timers: number;
  signals: number;
  workflowTasks: number;
  /** Search attribute upserts (visibility writes the bare workflow does not make). */
  upserts: number;
  events: number;
}

const T = temporal.api.enums.v1.EventType;

export async function measureShape(client: Client, workflowIds: readonly string[]): Promise<HistoryShape> {
  const sum = { activities: 0, localActivities: 0, timers: 0, signals: 0, workflowTasks: 0, upserts: 0, events: 0 };
  let sampled = 0;
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    const events = history.events ?? [];
    sampled++;
    sum.events += events.length;
    for (const e of events) {
      if (e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) sum.activities++;
      else if (e.eventType === T.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes?.markerName === 'core_local_activity') sum.localActivities++;
      else if (e.eventType === T.EVENT_TYPE_TIMER_STARTED) sum.timers++;
      else if (e.eventType === T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) sum.signals++;
      else if (e.eventType === T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) sum.workflowTasks++;
      else if (e.eventType === T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES) sum.upserts++;
    }
  }
  const avg = (v: number): number => (sampled ? v / sampled : Number.NaN);
  return { sampled, activities: avg(sum.activities), localActivities: avg(sum.localActivities), timers: avg(sum.timers), signals: avg(sum.signals), workflowTasks: avg(sum.workflowTasks), upserts: avg(sum.upserts), events: avg(sum.events) };
}

/**
 * A workflow's history as time offsets from its start, naming activities and showing only
 * steps after a gap of at least `gapMs` (what a straggler waited for).
 */
export async function describeGaps(client: Client, workflowId: string, gapMs = 1000): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const t = (e: (typeof events)[number]): number => {
    const s = e.eventTime?.seconds;
    const seconds = s == null ? 0 : typeof s === 'number' ? s : s.toNumber();
    return seconds * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
  };
  const start = events[0] ? t(events[0]) : 0;
  const out: string[] = [];
  let prev = start;
  for (const e of events) {
    const at = t(e);
    const name = T[e.eventType ?? 0]?.replace('EVENT_TYPE_', '') ?? String(e.eventType);
    const detail = e.activityTaskScheduledEventAttributes?.activityType?.name ?? e.timerStartedEventAttributes?.startToFireTimeout?.seconds?.toString() ?? '';
    if (at - prev >= gapMs) out.push(`+${((at - start) / 1000).toFixed(1)} s (after ${((at - prev) / 1000).toFixed(1)} s) ${name}${detail ? ` ${detail}` : ''}`);
    prev = at;
  }
  return out;
}
