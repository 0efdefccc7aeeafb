import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import type { WorkflowRegistration } from "./workflow-engine.ts";

export const DEMO_WORKFLOW = "engine.demo";

export interface DemoWorkflowInput {
  sleepMs: number;
}

/**
 * Two steps around a durable sleep. Each step records one row, so a crash test can count that every step ran
 * exactly once even when the process died during the sleep.
 */
export function createDemoWorkflow(deps: {
  db: Kysely<DB>;
}): WorkflowRegistration<DemoWorkflowInput, { steps: string[] }> {
  const recordStep = async (workflowId: string, executorId: string, step: string): Promise<void> => {
    await deps.db
      .insertInto("engine_demo_step_runs")
      .values({ workflow_id: workflowId, step, executor_id: executorId })
      .execute();
  };

  return {
    name: DEMO_WORKFLOW,
    async run(context, input) {
      await context.step("first", () => recordStep(context.workflowId, context.executorId, "first"));
      await context.sleep(input.sleepMs);
      await context.step("second", () => recordStep(context.workflowId, context.executorId, "second"));
      return { steps: ["first", "second"] };
    },
  };
}
