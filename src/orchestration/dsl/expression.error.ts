import { AppError } from "../../kernel/app-error.ts";

export type ExpressionPhase = "compile" | "evaluate";

/**
 * A runtime expression that does not compile or fails while evaluating. The interpreter turns it into
 * the spec's `expression` error (status 400).
 */
export class ExpressionError extends AppError {
  readonly expression: string;
  readonly phase: ExpressionPhase;
  /** The value jq raised with `error(...)`, when the failure came from the expression itself. */
  readonly raised: unknown;

  constructor(options: {
    expression: string;
    phase: ExpressionPhase;
    message: string;
    raised?: unknown;
    cause?: unknown;
  }) {
    super({
      code: "INVALID_INPUT",
      message: options.message,
      details: { expression: options.expression, phase: options.phase },
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.name = "ExpressionError";
    this.expression = options.expression;
    this.phase = options.phase;
    this.raised = options.raised;
  }
}

export function isExpressionError(value: unknown): value is ExpressionError {
  return value instanceof ExpressionError;
}
