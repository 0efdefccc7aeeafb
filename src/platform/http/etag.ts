import { createHash } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { AppError } from "../../kernel/app-error.ts";

/** A strong ETag for one version of a resource (its id and revision or update time). */
export function etagOf(id: string, revision: string | number | Date): string {
  const value = revision instanceof Date ? revision.toISOString() : String(revision);
  return `"${createHash("sha256").update(`${id}:${value}`).digest("base64url").slice(0, 27)}"`;
}

export function setEtag(reply: FastifyReply, etag: string): void {
  void reply.header("etag", etag);
}

/**
 * Updates must say which version they change (If-Match), so two people editing the same record cannot
 * silently overwrite each other: a missing header is 428, a stale one 412.
 */
export function requireIfMatch(request: FastifyRequest, currentEtag: string): void {
  const header = request.headers["if-match"];
  if (header === undefined || header === "") {
    throw new AppError({
      code: "PRECONDITION_REQUIRED",
      message: "send If-Match with the ETag of the version you are changing",
      issues: [{ field: "headers.if-match", reason: "is required for updates" }],
    });
  }
  const accepted = header.split(",").map((value) => value.trim());
  if (!accepted.includes(currentEtag) && !accepted.includes("*")) {
    throw new AppError({
      code: "PRECONDITION_FAILED",
      message: "the resource has changed since you read it; read it again and reapply your change",
      issues: [{ field: "headers.if-match", reason: "does not match the current version" }],
      details: { currentEtag },
    });
  }
}
