import type { HttpRequest, HttpResponse } from "./runtime-host.port.ts";
import type { TaskRunner } from "./task.runner.ts";
import { fault, isWorkflowFault } from "./workflow-fault.ts";

/** The host's fetch, with transport failures (refused connection, DNS, TLS) as `communication` errors. */
export async function guardedFetch(
  runner: TaskRunner,
  request: HttpRequest,
  instance: string,
): Promise<HttpResponse> {
  try {
    return await runner.exec.host.fetch(request);
  } catch (error) {
    if (request.signal.aborted || isWorkflowFault(error)) throw error;
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
    const location = new URL(request.url);
    throw fault("communication", {
      status: 503,
      title: "Service unavailable",
      detail: `${request.method} ${location.origin}${location.pathname} failed: ${error instanceof Error ? error.message : String(error)}${cause}`,
      instance,
    });
  }
}
