import type { FastifyReply } from "fastify";
import type { ErrorCode } from "../../kernel/app-error.ts";

/** An RFC 9457 problem document; `code` is the AppError code, so clients can branch on it. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  [extension: string]: unknown;
}

const TITLES: Partial<Record<ErrorCode, string>> = {
  UNAUTHENTICATED: "Authentication required",
  FORBIDDEN: "Permission denied",
  RATE_LIMITED: "Too many requests",
};

/** `urn:prapti:problem:rate-limited` for RATE_LIMITED, and so on. */
export function problemType(code: ErrorCode): string {
  return `urn:prapti:problem:${code.toLowerCase().replaceAll("_", "-")}`;
}

export function problem(
  status: number,
  code: ErrorCode,
  detail: string,
  extensions: Record<string, unknown> = {},
): ProblemDetails {
  return { type: problemType(code), title: TITLES[code] ?? code, status, detail, code, ...extensions };
}

export function sendProblem(reply: FastifyReply, body: ProblemDetails): FastifyReply {
  return reply
    .status(body.status)
    .header("content-type", "application/problem+json; charset=utf-8")
    .send(JSON.stringify(body));
}
