/** Next poll interval: grows geometrically to the cap, back to the start after any change. */
export function nextInterval(current: number, policy: { pollFactor: number; pollMaxMs: number }): number {
  return Math.min(Math.round(current * policy.pollFactor), policy.pollMaxMs);
}
