/** What the bare workflow and its driver share (kept apart from workflow code the driver must not load). */
import { defineSignal } from '@temporalio/workflow';

export interface BareShape {
  /** Activities per run, the last one marking the run "active" (like the CA e-mail of an order). */
  activities: number;
  /** Local activities per run (an order's inline CA reads and checks), run after the short timers. */
  localActivities: number;
  /** Signals the driver sends (the CA pushes of an order). */
  signals: number;
  /** Timers started: all but the last wait for a signal (a poll timer a push cuts short); the last is the long lifecycle wait. */
  timers: number;
}

export const bareSignal = defineSignal<[]>('push');
