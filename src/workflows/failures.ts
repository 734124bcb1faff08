import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/** The failure type of an activity failure, if it is one of ours. */
export function failureType(err: unknown): string | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause.type ?? undefined;
  if (err instanceof ApplicationFailure) return err.type ?? undefined;
  return undefined;
}

export function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** A field of the first details entry of an activity failure (e.g. the `domain` a CA could not validate). */
export function failureDetail<T>(err: unknown, field: string): T | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  const first = cause.details?.[0] as Record<string, unknown> | undefined;
  return first?.[field] as T | undefined;
}
