/**
 * Cooperative cancellation for a running task tree. Cancelling a scope cancels its children; work in
 * flight observes it through `signal` (host calls) or `throwIfCancelled` (between steps).
 */
export class CancellationScope {
  private readonly controller = new AbortController();

  constructor(parent?: CancellationScope) {
    if (parent) {
      if (parent.signal.aborted) this.controller.abort(parent.signal.reason);
      else
        parent.signal.addEventListener("abort", () => this.controller.abort(parent.signal.reason), {
          once: true,
        });
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get cancelled(): boolean {
    return this.controller.signal.aborted;
  }

  /** Cancels with a reason: a CancellationError, or the fault (a timeout) the cancelled work should end with. */
  cancel(reason: Error): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  child(): CancellationScope {
    return new CancellationScope(this);
  }

  throwIfCancelled(): void {
    if (this.controller.signal.aborted) throw this.reason();
  }

  reason(): Error {
    const reason: unknown = this.controller.signal.reason;
    return reason instanceof Error ? reason : new Error(String(reason));
  }

  /** Settles like `promise`, or rejects with the cancellation reason as soon as the scope is cancelled. */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.cancelled) {
      promise.catch(() => undefined);
      return Promise.reject(this.reason());
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(this.reason());
      this.signal.addEventListener("abort", onAbort, { once: true });
      promise.then(
        (value) => {
          this.signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (error: unknown) => {
          this.signal.removeEventListener("abort", onAbort);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }
}
