import type { Diagnostic } from "./diagnostic.types.ts";
import { durationToMilliseconds } from "./duration.parser.ts";
import { argumentsFor, type ExpressionSiteKind } from "./expression-arguments.ts";
import { checkJqFilters, isJqIdentifier } from "./jq.evaluator.ts";
import { isPlainObject, joinPointer } from "./json-pointer.util.ts";
import { collectTemplateExpressions, expressionOf, isRuntimeExpression } from "./runtime-expression.ts";
import {
  catchVariable,
  foreachVariables,
  forVariables,
  iteratorVariables,
  subscriptionIterator,
  walkWorkflow,
  type TaskListVisit,
} from "./task-list.walker.ts";
import {
  findUnsupportedFeatures,
  isCatalogFunctionReference,
  unsupportedFeatureMessage,
  visitValues,
} from "./unsupported-feature.finder.ts";
import { isSpecNamespaceErrorType, STANDARD_ERROR_NAMES, standardErrorName } from "./workflow-error.ts";

/**
 * Checks a workflow document for what its JSON Schema cannot express. It tolerates malformed documents
 * (anything of an unexpected shape is skipped, the schema reports it) so that all findings come at once.
 */

export interface SemanticCheckOptions {
  /**
   * Catalog of custom functions the hub can call (`invoicing.verify`). Without one, dotted names
   * (`module.action`) are accepted with a warning and other unknown names are errors.
   */
  knownFunctions?: (name: string) => boolean;
}

export interface SemanticCheckResult {
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

const BUILTIN_CALLS = new Set(["http", "openapi", "grpc", "asyncapi", "mcp", "a2a"]);
const FLOW_KEYWORDS = new Set(["continue", "exit", "end"]);
const DOTTED_FUNCTION = /^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z][A-Za-z0-9_-]*)+$/;

interface PendingExpression {
  pointer: string;
  expression: string;
  variables: string[];
}

export function checkWorkflowSemantics(
  workflow: unknown,
  options: SemanticCheckOptions = {},
): SemanticCheckResult {
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  if (!isPlainObject(workflow)) return { errors, warnings };
  const use = isPlainObject(workflow.use) ? workflow.use : {};
  const functions = isPlainObject(use.functions) ? use.functions : {};
  const named = (section: string): Record<string, unknown> =>
    isPlainObject(use[section]) ? use[section] : {};
  const expressions: PendingExpression[] = [];
  const catchNames = new Set<string>(["error"]);

  const expressionField = (
    value: unknown,
    pointer: string,
    site: ExpressionSiteKind,
    custom: readonly string[],
  ): void => {
    if (typeof value === "string")
      expressions.push({ pointer, expression: expressionOf(value), variables: argumentsFor(site, custom) });
    else if (value !== undefined) templateField(value, pointer, site, custom);
  };
  const templateField = (
    value: unknown,
    pointer: string,
    site: ExpressionSiteKind,
    custom: readonly string[],
  ): void => {
    for (const found of collectTemplateExpressions(value, pointer)) {
      expressions.push({
        pointer: found.pointer,
        expression: found.expression,
        variables: argumentsFor(site, custom),
      });
    }
  };
  const durationField = (
    value: unknown,
    pointer: string,
    custom: readonly string[],
    site: ExpressionSiteKind = "taskDefinition",
  ): void => {
    if (value === undefined) return;
    if (typeof value === "string" && isRuntimeExpression(value)) {
      templateField(value, pointer, site, custom);
      return;
    }
    try {
      durationToMilliseconds(value);
    } catch (error) {
      errors.push({
        path: pointer,
        code: "invalid-duration",
        message: error instanceof Error ? error.message : String(error),
      });
    }
  };
  const retryPolicy = (policy: Record<string, unknown>, pointer: string, custom: readonly string[]): void => {
    for (const field of ["when", "exceptWhen"])
      expressionField(policy[field], `${pointer}/${field}`, "taskDefinition", custom);
    durationField(policy.delay, `${pointer}/delay`, custom);
    if (isPlainObject(policy.jitter)) {
      durationField(policy.jitter.from, `${pointer}/jitter/from`, custom);
      durationField(policy.jitter.to, `${pointer}/jitter/to`, custom);
    }
    if (isPlainObject(policy.limit)) {
      durationField(policy.limit.duration, `${pointer}/limit/duration`, custom);
      if (isPlainObject(policy.limit.attempt))
        durationField(policy.limit.attempt.duration, `${pointer}/limit/attempt/duration`, custom);
    }
  };
  const timeoutField = (
    value: unknown,
    pointer: string,
    custom: readonly string[],
    site: ExpressionSiteKind = "taskDefinition",
  ): void => {
    if (typeof value === "string") {
      if (!Object.prototype.hasOwnProperty.call(named("timeouts"), value)) {
        errors.push({
          path: pointer,
          code: "unknown-reference",
          message: `timeout '${value}' is not defined in use.timeouts`,
        });
      }
    } else if (isPlainObject(value)) {
      durationField(value.after, `${pointer}/after`, custom, site);
    }
  };
  const errorType = (value: unknown, pointer: string): void => {
    if (typeof value !== "string" || isRuntimeExpression(value)) return;
    if (isSpecNamespaceErrorType(value) && standardErrorName(value) === undefined) {
      errors.push({
        path: pointer,
        code: "unknown-error-type",
        message: `'${value}' is in the specification's error namespace but names no standard error type (${STANDARD_ERROR_NAMES.join(", ")})`,
      });
    }
  };
  const identifier = (value: unknown, pointer: string): void => {
    if (typeof value === "string" && !isJqIdentifier(value)) {
      errors.push({
        path: pointer,
        code: "invalid-variable-name",
        message: `'${value}' cannot be used as a variable name: use letters, digits and '_'`,
      });
    }
  };

  // Workflow-level fields.
  if (isPlainObject(workflow.input))
    expressionField(workflow.input.from, "/input/from", "workflowInputFrom", []);
  if (isPlainObject(workflow.output))
    expressionField(workflow.output.as, "/output/as", "workflowOutputAs", []);
  timeoutField(workflow.timeout, "/timeout", [], "workflowInputFrom");
  for (const [name, definition] of Object.entries(named("errors"))) {
    if (!isPlainObject(definition)) continue;
    errorType(definition.type, joinPointer("/use/errors", name, "type"));
    templateField(definition, joinPointer("/use/errors", name), "taskDefinition", []);
  }
  for (const [name, definition] of Object.entries(named("authentications"))) {
    templateField(definition, joinPointer("/use/authentications", name), "taskDefinition", []);
  }
  for (const [name, definition] of Object.entries(named("timeouts"))) {
    if (isPlainObject(definition))
      durationField(definition.after, joinPointer("/use/timeouts", name, "after"), [], "workflowInputFrom");
  }
  if (Array.isArray(use.extensions)) {
    use.extensions.forEach((item, index) => {
      if (!isPlainObject(item)) return;
      for (const [name, extension] of Object.entries(item)) {
        if (isPlainObject(extension))
          expressionField(
            extension.when,
            joinPointer("/use/extensions", index, name, "when"),
            "taskDefinition",
            [],
          );
      }
    });
  }

  walkWorkflow(workflow, {
    list: (visit) => checkTaskList(visit, errors),
    task: ({ task, kind, pointer, variables }) => {
      expressionField(task.if, `${pointer}/if`, "taskIf", variables);
      if (isPlainObject(task.input))
        expressionField(task.input.from, `${pointer}/input/from`, "taskInputFrom", variables);
      if (isPlainObject(task.output))
        expressionField(task.output.as, `${pointer}/output/as`, "taskOutputAs", variables);
      if (isPlainObject(task.export))
        expressionField(task.export.as, `${pointer}/export/as`, "taskExportAs", variables);
      timeoutField(task.timeout, `${pointer}/timeout`, variables);

      switch (kind) {
        case "call": {
          const iterator = subscriptionIterator(task);
          if (iterator && isPlainObject(task.with) && isPlainObject(task.with.subscription)) {
            // The iterator's tasks are walked as a task list of their own; only its transformations are checked here.
            const subscription = { ...task.with.subscription, foreach: undefined };
            templateField({ ...task.with, subscription }, `${pointer}/with`, "taskDefinition", variables);
            const itemVariables = [...variables, ...iteratorVariables(iterator)];
            const base = `${pointer}/with/subscription/foreach`;
            identifier(iterator.item, `${base}/item`);
            identifier(iterator.at, `${base}/at`);
            if (isPlainObject(iterator.output))
              expressionField(iterator.output.as, `${base}/output/as`, "taskOutputAs", itemVariables);
            if (isPlainObject(iterator.export))
              expressionField(iterator.export.as, `${base}/export/as`, "taskExportAs", itemVariables);
          } else {
            templateField(task.with, `${pointer}/with`, "taskDefinition", variables);
          }
          checkCall(task.call, `${pointer}/call`, functions, options, errors, warnings);
          break;
        }
        case "emit":
          templateField(task.emit, `${pointer}/emit`, "taskDefinition", variables);
          break;
        case "for": {
          const loop = isPlainObject(task.for) ? task.for : {};
          expressionField(loop.in, `${pointer}/for/in`, "taskDefinition", variables);
          identifier(loop.each, `${pointer}/for/each`);
          identifier(loop.at, `${pointer}/for/at`);
          expressionField(task.while, `${pointer}/while`, "taskDefinition", [
            ...variables,
            ...forVariables(task),
          ]);
          break;
        }
        case "listen": {
          const listen = isPlainObject(task.listen) ? task.listen : {};
          checkConsumptionStrategy(
            listen.to,
            `${pointer}/listen/to`,
            variables,
            expressionField,
            templateField,
          );
          if (isPlainObject(task.foreach)) {
            const iteratorVariables = [...variables, ...foreachVariables(task)];
            identifier(task.foreach.item, `${pointer}/foreach/item`);
            identifier(task.foreach.at, `${pointer}/foreach/at`);
            if (isPlainObject(task.foreach.output))
              expressionField(
                task.foreach.output.as,
                `${pointer}/foreach/output/as`,
                "taskOutputAs",
                iteratorVariables,
              );
            if (isPlainObject(task.foreach.export))
              expressionField(
                task.foreach.export.as,
                `${pointer}/foreach/export/as`,
                "taskExportAs",
                iteratorVariables,
              );
          }
          break;
        }
        case "raise": {
          const raise = isPlainObject(task.raise) ? task.raise : {};
          if (typeof raise.error === "string") {
            if (!Object.prototype.hasOwnProperty.call(named("errors"), raise.error)) {
              errors.push({
                path: `${pointer}/raise/error`,
                code: "unknown-reference",
                message: `error '${raise.error}' is not defined in use.errors`,
              });
            }
          } else if (isPlainObject(raise.error)) {
            errorType(raise.error.type, `${pointer}/raise/error/type`);
            templateField(raise.error, `${pointer}/raise/error`, "taskDefinition", variables);
          }
          break;
        }
        case "run":
          templateField(task.run, `${pointer}/run`, "taskDefinition", variables);
          break;
        case "set":
          templateField(task.set, `${pointer}/set`, "taskDefinition", variables);
          break;
        case "switch":
          if (Array.isArray(task.switch)) {
            task.switch.forEach((item, index) => {
              if (!isPlainObject(item)) return;
              for (const [caseName, definition] of Object.entries(item)) {
                if (isPlainObject(definition)) {
                  expressionField(
                    definition.when,
                    joinPointer(`${pointer}/switch`, index, caseName, "when"),
                    "taskDefinition",
                    variables,
                  );
                }
              }
            });
          }
          break;
        case "try": {
          const handler = isPlainObject(task.catch) ? task.catch : {};
          const handlerVariables = [...variables, catchVariable(task)];
          catchNames.add(catchVariable(task));
          identifier(handler.as, `${pointer}/catch/as`);
          expressionField(handler.when, `${pointer}/catch/when`, "taskDefinition", handlerVariables);
          expressionField(
            handler.exceptWhen,
            `${pointer}/catch/exceptWhen`,
            "taskDefinition",
            handlerVariables,
          );
          if (isPlainObject(handler.errors) && isPlainObject(handler.errors.with))
            errorType(handler.errors.with.type, `${pointer}/catch/errors/with/type`);
          if (typeof handler.retry === "string") {
            if (!Object.prototype.hasOwnProperty.call(named("retries"), handler.retry)) {
              errors.push({
                path: `${pointer}/catch/retry`,
                code: "unknown-reference",
                message: `retry policy '${handler.retry}' is not defined in use.retries`,
              });
            }
          } else if (isPlainObject(handler.retry)) {
            retryPolicy(handler.retry, `${pointer}/catch/retry`, handlerVariables);
          }
          break;
        }
        case "wait":
          durationField(task.wait, `${pointer}/wait`, variables);
          break;
        case "do":
        case "fork":
        case undefined:
          break;
      }
    },
  });

  for (const [name, policy] of Object.entries(named("retries"))) {
    if (isPlainObject(policy)) retryPolicy(policy, joinPointer("/use/retries", name), [...catchNames]);
  }

  checkReferences(workflow, named("authentications"), Array.isArray(use.secrets) ? use.secrets : [], errors);

  const compileErrors = checkJqFilters(
    expressions.map(({ expression, variables }) => ({ filter: expression, variables })),
  );
  compileErrors.forEach((message, index) => {
    const site = expressions[index]!;
    if (message !== undefined) {
      errors.push({
        path: site.pointer,
        code: "expression-syntax",
        message: `runtime expression '${abbreviate(site.expression)}' does not compile: ${message}`,
      });
    }
  });

  for (const found of findUnsupportedFeatures(workflow)) {
    warnings.push({
      path: found.path,
      code: "unsupported-feature",
      message: unsupportedFeatureMessage(found.feature),
    });
  }
  return { errors, warnings };
}

function checkCall(
  value: unknown,
  pointer: string,
  functions: Record<string, unknown>,
  options: SemanticCheckOptions,
  errors: Diagnostic[],
  warnings: Diagnostic[],
): void {
  if (typeof value !== "string") return;
  if (BUILTIN_CALLS.has(value) || Object.prototype.hasOwnProperty.call(functions, value)) return;
  if (isCatalogFunctionReference(value)) return; // reported as an unsupported feature
  if (options.knownFunctions) {
    let known = false;
    try {
      known = options.knownFunctions(value);
    } catch {
      known = false;
    }
    if (!known)
      errors.push({
        path: pointer,
        code: "unknown-function",
        message: `unknown function '${value}': not in use.functions nor in the function catalog`,
      });
    return;
  }
  if (DOTTED_FUNCTION.test(value)) {
    warnings.push({
      path: pointer,
      code: "unverified-function",
      message: `function '${value}' was not checked against a function catalog`,
    });
    return;
  }
  errors.push({
    path: pointer,
    code: "unknown-function",
    message: `unknown function '${value}': not a built-in call and not defined in use.functions`,
  });
}

type FieldChecker = (
  value: unknown,
  pointer: string,
  site: ExpressionSiteKind,
  custom: readonly string[],
) => void;

function checkConsumptionStrategy(
  strategy: unknown,
  pointer: string,
  variables: readonly string[],
  expressionField: FieldChecker,
  templateField: FieldChecker,
  depth = 0,
): void {
  if (!isPlainObject(strategy) || depth > 8) return;
  const filters: Array<{ filter: unknown; pointer: string }> = [];
  if (isPlainObject(strategy.one)) filters.push({ filter: strategy.one, pointer: `${pointer}/one` });
  for (const key of ["all", "any"]) {
    const list = strategy[key];
    if (Array.isArray(list))
      list.forEach((filter, index) => filters.push({ filter, pointer: `${pointer}/${key}/${index}` }));
  }
  for (const { filter, pointer: filterPointer } of filters) {
    if (!isPlainObject(filter)) continue;
    templateField(filter.with, `${filterPointer}/with`, "taskDefinition", variables);
    if (isPlainObject(filter.correlate)) {
      for (const [key, correlation] of Object.entries(filter.correlate)) {
        if (!isPlainObject(correlation)) continue;
        expressionField(
          correlation.from,
          joinPointer(`${filterPointer}/correlate`, key, "from"),
          "taskDefinition",
          variables,
        );
        templateField(
          correlation.expect,
          joinPointer(`${filterPointer}/correlate`, key, "expect"),
          "taskDefinition",
          variables,
        );
      }
    }
  }
  if (typeof strategy.until === "string")
    expressionField(strategy.until, `${pointer}/until`, "taskDefinition", variables);
  else
    checkConsumptionStrategy(
      strategy.until,
      `${pointer}/until`,
      variables,
      expressionField,
      templateField,
      depth + 1,
    );
}

/** Duplicate names, flow directive targets and reachability of one task list. */
function checkTaskList(visit: TaskListVisit, errors: Diagnostic[]): void {
  const entries: Array<{ name: string; task: Record<string, unknown>; pointer: string }> = [];
  visit.list.forEach((item, index) => {
    if (!isPlainObject(item)) return;
    const names = Object.keys(item);
    if (names.length !== 1) return;
    const name = names[0]!;
    const task = item[name];
    if (isPlainObject(task)) entries.push({ name, task, pointer: joinPointer(visit.pointer, index, name) });
    else entries.push({ name, task: {}, pointer: joinPointer(visit.pointer, index, name) });
  });

  const firstIndex = new Map<string, number>();
  entries.forEach((entry, index) => {
    if (firstIndex.has(entry.name)) {
      errors.push({
        path: entry.pointer,
        code: "duplicate-task-name",
        message: `task name '${entry.name}' is already used in this task list`,
      });
    } else {
      firstIndex.set(entry.name, index);
    }
  });

  const checkTarget = (target: unknown, pointer: string): void => {
    if (typeof target !== "string" || FLOW_KEYWORDS.has(target) || firstIndex.has(target)) return;
    errors.push({
      path: pointer,
      code: "unknown-then-target",
      message: `'then: ${target}' names no task of this task list`,
    });
  };
  for (const entry of entries) {
    checkTarget(entry.task.then, `${entry.pointer}/then`);
    if (Array.isArray(entry.task.switch)) {
      entry.task.switch.forEach((item, index) => {
        if (!isPlainObject(item)) return;
        for (const [caseName, definition] of Object.entries(item)) {
          if (isPlainObject(definition))
            checkTarget(definition.then, joinPointer(`${entry.pointer}/switch`, index, caseName, "then"));
        }
      });
    }
  }

  if (visit.mode !== "sequence" || entries.length !== visit.list.length) return;
  const successors = (index: number): number[] => {
    const entry = entries[index]!;
    const result: number[] = [];
    const follow = (directive: unknown): void => {
      if (directive === undefined || directive === "continue") {
        if (index + 1 < entries.length) result.push(index + 1);
      } else if (typeof directive === "string" && !FLOW_KEYWORDS.has(directive)) {
        const target = firstIndex.get(directive);
        if (target !== undefined) result.push(target);
      }
    };
    if (entry.task.if !== undefined && index + 1 < entries.length) result.push(index + 1);
    if (Array.isArray(entry.task.switch)) {
      let hasDefault = false;
      for (const item of entry.task.switch) {
        if (!isPlainObject(item)) continue;
        for (const definition of Object.values(item)) {
          if (!isPlainObject(definition)) continue;
          if (definition.when === undefined) hasDefault = true;
          follow(definition.then);
        }
      }
      if (!hasDefault) follow(entry.task.then);
    } else if (!("raise" in entry.task)) {
      follow(entry.task.then);
    }
    return result;
  };
  const reached = new Set<number>([0]);
  const queue = [0];
  while (queue.length > 0) {
    const index = queue.shift()!;
    for (const next of successors(index)) {
      if (!reached.has(next)) {
        reached.add(next);
        queue.push(next);
      }
    }
  }
  entries.forEach((entry, index) => {
    if (reached.has(index)) return;
    const previous = entries[index - 1];
    const why = previous
      ? "raise" in previous.task
        ? `task '${previous.name}' always raises an error before it`
        : `task '${previous.name}' always transfers control elsewhere and no directive targets it`
      : "no directive targets it";
    errors.push({
      path: entry.pointer,
      code: "unreachable-task",
      message: `task '${entry.name}' can never run: ${why}`,
    });
  });
}

/** `authentication: { use: name }` must name a policy of use.authentications; secret-based policies a declared secret. */
function checkReferences(
  workflow: Record<string, unknown>,
  authentications: Record<string, unknown>,
  secrets: unknown[],
  errors: Diagnostic[],
): void {
  visitValues(workflow, "", (value, path) => {
    if (!isPlainObject(value)) return;
    const inUseSection = /^\/use\/authentications\/[^/]+$/.test(path);
    if (
      path.endsWith("/authentication") &&
      typeof value.use === "string" &&
      !Object.prototype.hasOwnProperty.call(authentications, value.use)
    ) {
      errors.push({
        path: `${path}/use`,
        code: "unknown-reference",
        message: `authentication '${value.use}' is not defined in use.authentications`,
      });
    }
    if (!path.endsWith("/authentication") && !inUseSection) return;
    for (const scheme of ["basic", "bearer", "digest", "oauth2", "oidc"]) {
      const policy = value[scheme];
      if (isPlainObject(policy) && typeof policy.use === "string" && !secrets.includes(policy.use)) {
        errors.push({
          path: joinPointer(path, scheme, "use"),
          code: "unknown-reference",
          message: `secret '${policy.use}' is not declared in use.secrets`,
        });
      }
    }
  });
}

function abbreviate(expression: string): string {
  const flat = expression.replace(/\s+/g, " ").trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}
