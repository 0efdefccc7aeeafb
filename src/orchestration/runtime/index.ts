/** The deterministic Serverless Workflow interpreter, its host port, and an in-process host. */
export { matchesEventProperties } from "./event-filter.ts";
export {
  createJournalingHost,
  EffectJournal,
  type JournalEntry,
  type JournalingHost,
} from "./journal.host.ts";
export {
  createLocalHost,
  type EffectRecord,
  type LocalFunction,
  type LocalFunctionContext,
  type LocalHost,
  type LocalHostOptions,
  type ScheduledEvent,
  type WorkflowResolver,
} from "./local.host.ts";
export { prepareWorkflow, runLocally, type LocalRunResult, type RunLocallyOptions } from "./run-locally.ts";
export type {
  CloudEvent,
  EffectIdentity,
  EffectKind,
  EffectRequest,
  EmitRequest,
  FunctionCallRequest,
  HttpRequest,
  HttpResponse,
  ReceiveEventRequest,
  RuntimeDescriptor,
  RuntimeHost,
  SleepRequest,
  SubflowRequest,
  TaskEvent,
  TaskPhase,
} from "./runtime-host.port.ts";
export { systemClock, VirtualClock, type Clock } from "./virtual.clock.ts";
export {
  interpretWorkflow,
  RUNTIME_NAME,
  RUNTIME_VERSION,
  type InterpretOptions,
  type WorkflowOutcome,
  type WorkflowStatus,
} from "./workflow.interpreter.ts";
export { CancellationError, isCancellation, isWorkflowFault, WorkflowFault } from "./workflow-fault.ts";
