import { randomUUID } from "node:crypto";
import { isPlainObject } from "../../dsl/json-pointer.util.ts";
import type { EmitTask } from "../../dsl/workflow.types.ts";
import type { CloudEvent } from "../runtime-host.port.ts";
import type { Frame, TaskResult, TaskRunner, TaskState } from "../task.runner.ts";
import { fault } from "../workflow-fault.ts";

/**
 * `emit`: publishes a CloudEvent built from `emit.event.with`. Missing `id` and `time` are filled inside
 * the journaled effect, so a replay returns the event exactly as it was published. The output is the event.
 */
export async function executeEmit(runner: TaskRunner, frame: Frame, state: TaskState): Promise<TaskResult> {
  const task = state.task as EmitTask;
  const properties = await runner.template(task.emit.event.with, "taskDefinition", frame, state, state.input);
  if (!isPlainObject(properties))
    throw fault("validation", {
      title: "Invalid event",
      detail: "emit.event.with must be an object",
      instance: state.path,
    });
  for (const attribute of ["source", "type"]) {
    if (typeof properties[attribute] !== "string" || properties[attribute] === "") {
      throw fault("validation", {
        title: "Invalid event",
        detail: `the event's '${attribute}' must be a non-empty string`,
        instance: state.path,
      });
    }
  }
  const host = runner.exec.host;
  const identity = runner.exec.nextIdentity(state);
  const event = await runner.exec.effectAt(
    { ...identity, kind: "emit", label: `emit ${String(properties.type)}` },
    frame.scope,
    async () => {
      const { specversion: _ignored, id, source, type, time, ...rest } = properties;
      const built: CloudEvent = {
        specversion: "1.0",
        id: typeof id === "string" && id !== "" ? id : randomUUID(),
        source: source as string,
        type: type as string,
        time: typeof time === "string" ? time : new Date(host.now()).toISOString(),
        ...(rest.data !== undefined && rest.datacontenttype === undefined
          ? { datacontenttype: "application/json" }
          : {}),
        ...rest,
      };
      await host.emit({ ...identity, event: built });
      return built;
    },
  );
  return { output: event };
}
