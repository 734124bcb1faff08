/** No-op activities of the bare workflow; `reachedActive` tells the benchmark when a run is done. */
export function createBareActivities(onActive: (workflowId: string, at: number) => void) {
  return {
    async step(_i: number): Promise<number> {
      return _i;
    },
    async reachedActive(workflowId: string): Promise<void> {
      onActive(workflowId, Date.now());
    },
  };
}

export type BareActivities = ReturnType<typeof createBareActivities>;
