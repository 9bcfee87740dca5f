/**
 * The tool calls running in this process, so a cancel can abort them. Execution ids are unique only
 * within a workspace (primary keys are `(workspace_id, id)`), so calls are found by workspace AND
 * execution: a cancel in one workspace never reaches a call of another that has the same ids.
 */
import { tenantKey } from './tenant-key.ts';

export class RunningSteps {
  /** By `tenantKey(workspace, execution)`, then step id. */
  private readonly byExecution = new Map<string, Map<string, AbortController>>();

  /** Registers a call; the returned function unregisters it (only if it is still the one registered). */
  add(workspaceId: string, executionId: string, stepId: string, controller: AbortController): () => void {
    const key = tenantKey(workspaceId, executionId);
    let steps = this.byExecution.get(key);
    if (steps === undefined) {
      steps = new Map();
      this.byExecution.set(key, steps);
    }
    steps.set(stepId, controller);
    return () => {
      const current = this.byExecution.get(key);
      if (current?.get(stepId) !== controller) return;
      current.delete(stepId);
      if (current.size === 0) this.byExecution.delete(key);
    };
  }

  /** Aborts the calls of one execution of one workspace. */
  abortExecution(workspaceId: string, executionId: string, reason: Error): void {
    for (const controller of this.byExecution.get(tenantKey(workspaceId, executionId))?.values() ?? []) {
      controller.abort(reason);
    }
  }

  /** Aborts every call (the workers are stopping). */
  abortAll(reason: Error): void {
    for (const steps of this.byExecution.values()) for (const controller of steps.values()) controller.abort(reason);
  }
}
