/**
 * Types of a Serverless Workflow DSL 1.0 document as this runtime reads it. They describe documents that
 * passed schema validation; fields the runtime does not interpret stay loosely typed.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface WorkflowDocumentInfo {
  dsl: string;
  namespace: string;
  name: string;
  version: string;
  title?: string;
  summary?: string;
  tags?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

export interface Workflow {
  document: WorkflowDocumentInfo;
  input?: InputDefinition;
  use?: UseDefinition;
  do: TaskList;
  timeout?: TimeoutDefinition | string;
  output?: OutputDefinition;
  schedule?: ScheduleDefinition;
  evaluate?: { language?: string; mode?: string };
}

export interface UseDefinition {
  authentications?: Record<string, AuthenticationPolicy>;
  errors?: Record<string, ErrorDefinition>;
  extensions?: Array<Record<string, ExtensionDefinition>>;
  functions?: Record<string, Task>;
  retries?: Record<string, RetryPolicy>;
  secrets?: string[];
  timeouts?: Record<string, TimeoutDefinition>;
  catalogs?: Record<string, { endpoint: Endpoint }>;
}

export interface ScheduleDefinition {
  every?: Duration;
  cron?: string;
  after?: Duration;
  on?: EventConsumptionStrategy;
}

export interface ExtensionDefinition {
  extend: string;
  when?: string;
  before?: TaskList;
  after?: TaskList;
}

/** A list of single-entry maps: `[{ taskName: task }, ...]`. */
export type TaskList = Array<Record<string, Task>>;

export interface SchemaDefinition {
  format?: string;
  document?: unknown;
  resource?: ExternalResource;
}

export interface InputDefinition {
  schema?: SchemaDefinition;
  from?: string | Record<string, unknown>;
}

export interface OutputDefinition {
  schema?: SchemaDefinition;
  as?: string | Record<string, unknown>;
}

export interface ExportDefinition {
  schema?: SchemaDefinition;
  as?: string | Record<string, unknown>;
}

export interface TimeoutDefinition {
  after: Duration;
}

export interface DurationObject {
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  milliseconds?: number;
}

/** An ISO 8601 duration (`PT5M`), a runtime expression producing one, or the object form. */
export type Duration = string | DurationObject;

export interface TaskBase {
  if?: string;
  input?: InputDefinition;
  output?: OutputDefinition;
  export?: ExportDefinition;
  timeout?: TimeoutDefinition | string;
  then?: string;
  metadata?: Record<string, unknown>;
}

export interface CallTask extends TaskBase {
  call: string;
  with?: Record<string, unknown>;
}

export interface HttpCallArguments {
  method: string;
  endpoint: Endpoint;
  headers?: Record<string, string> | string;
  body?: unknown;
  query?: Record<string, string> | string;
  output?: "raw" | "content" | "response";
  redirect?: boolean;
}

export interface OpenApiCallArguments {
  document: ExternalResource;
  operationId: string;
  parameters?: Record<string, unknown>;
  authentication?: ReferenceableAuthenticationPolicy;
  output?: "raw" | "content" | "response";
  redirect?: boolean;
}

export interface DoTask extends TaskBase {
  do: TaskList;
}

export interface ForkTask extends TaskBase {
  fork: { branches: TaskList; compete?: boolean };
}

export interface EmitTask extends TaskBase {
  emit: { event: { with: EventProperties } & Record<string, unknown> };
}

export interface ForTask extends TaskBase {
  for: { each?: string; in: string; at?: string };
  while?: string;
  do: TaskList;
}

export interface ListenTask extends TaskBase {
  listen: { to: EventConsumptionStrategy; read?: "data" | "envelope" | "raw" };
  foreach?: SubscriptionIterator;
}

export interface SubscriptionIterator {
  item?: string;
  at?: string;
  do?: TaskList;
  output?: OutputDefinition;
  export?: ExportDefinition;
}

export interface RaiseTask extends TaskBase {
  raise: { error: ErrorDefinition | string };
}

export interface RunTask extends TaskBase {
  run: {
    await?: boolean;
    return?: "stdout" | "stderr" | "code" | "all" | "none";
    container?: Record<string, unknown>;
    script?: Record<string, unknown>;
    shell?: Record<string, unknown>;
    workflow?: SubflowDefinition;
  };
}

export interface SubflowDefinition {
  namespace: string;
  name: string;
  version: string;
  input?: Record<string, unknown>;
}

export interface SetTask extends TaskBase {
  set: Record<string, unknown> | string;
}

export interface SwitchCase {
  when?: string;
  then: string;
}

export interface SwitchTask extends TaskBase {
  switch: Array<Record<string, SwitchCase>>;
}

export interface CatchDefinition {
  errors?: { with?: ErrorFilter };
  as?: string;
  when?: string;
  exceptWhen?: string;
  retry?: RetryPolicy | string;
  do?: TaskList;
}

export interface ErrorFilter {
  type?: string;
  status?: number;
  instance?: string;
  title?: string;
  details?: string;
}

export interface TryTask extends TaskBase {
  try: TaskList;
  catch: CatchDefinition;
}

export interface WaitTask extends TaskBase {
  wait: Duration;
}

export type Task =
  | CallTask
  | DoTask
  | ForkTask
  | EmitTask
  | ForTask
  | ListenTask
  | RaiseTask
  | RunTask
  | SetTask
  | SwitchTask
  | TryTask
  | WaitTask;

export type TaskKind =
  "call" | "do" | "fork" | "emit" | "for" | "listen" | "raise" | "run" | "set" | "switch" | "try" | "wait";

export const TASK_KINDS: readonly TaskKind[] = [
  "call",
  "do",
  "fork",
  "emit",
  "for",
  "listen",
  "raise",
  "run",
  "set",
  "switch",
  "try",
  "wait",
];

/**
 * The kind of a task, decided by its defining property. `for` and `try` are checked before `do`
 * because a for task also holds `do`.
 */
export function taskKind(task: unknown): TaskKind | undefined {
  if (typeof task !== "object" || task === null || Array.isArray(task)) return undefined;
  const order: TaskKind[] = [
    "for",
    "try",
    "call",
    "fork",
    "emit",
    "listen",
    "raise",
    "run",
    "set",
    "switch",
    "wait",
    "do",
  ];
  return order.find((kind) => Object.prototype.hasOwnProperty.call(task, kind));
}

export interface ErrorDefinition {
  type: string;
  status: number | string;
  instance?: string;
  title?: string;
  detail?: string;
}

export interface RetryPolicy {
  when?: string;
  exceptWhen?: string;
  delay?: Duration;
  backoff?: {
    constant?: Record<string, unknown>;
    linear?: Record<string, unknown>;
    exponential?: Record<string, unknown>;
  };
  limit?: { attempt?: { count?: number; duration?: Duration }; duration?: Duration };
  jitter?: { from: Duration; to: Duration };
}

export type Endpoint = string | { uri: string; authentication?: ReferenceableAuthenticationPolicy };

export interface ExternalResource {
  name?: string;
  endpoint: Endpoint;
}

export type ReferenceableAuthenticationPolicy = { use: string } | AuthenticationPolicy;

export interface OAuth2Properties {
  authority?: string;
  grant?: string;
  client?: { id?: string; secret?: string; assertion?: string; authentication?: string };
  request?: { encoding?: string };
  endpoints?: { token?: string; revocation?: string; introspection?: string };
  issuers?: string[];
  scopes?: string[];
  audiences?: string[];
  username?: string;
  password?: string;
  subject?: { token: string; type: string };
  actor?: { token: string; type: string };
}

export interface AuthenticationPolicy {
  basic?: { username: string; password: string } | { use: string };
  bearer?: { token: string } | { use: string };
  digest?: { username: string; password: string } | { use: string };
  oauth2?: OAuth2Properties | { use: string };
  oidc?: OAuth2Properties | { use: string };
  certificate?: unknown;
}

export interface EventProperties {
  id?: string;
  source?: string;
  type?: string;
  time?: string;
  subject?: string;
  datacontenttype?: string;
  dataschema?: string;
  data?: unknown;
  [attribute: string]: unknown;
}

export interface EventFilter {
  with: EventProperties;
  correlate?: Record<string, { from: string; expect?: string }>;
}

export interface EventConsumptionStrategy {
  all?: EventFilter[];
  any?: EventFilter[];
  one?: EventFilter;
  until?: string | EventConsumptionStrategy;
}
