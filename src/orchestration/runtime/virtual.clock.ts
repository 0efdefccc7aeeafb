/**
 * Clocks for the local host. The system clock is wall time. The virtual clock only moves when nothing
 * else can happen: when no tracked work (an HTTP call, a function) is in flight, it jumps to the next
 * timer and fires it. A workflow that waits a day completes at once, while a timeout racing a real
 * HTTP call does not fire during the call.
 */
export interface Clock {
  now(): number;
  /** Resolves after `milliseconds`; rejects with the signal's reason when aborted first. */
  sleep(milliseconds: number, signal?: AbortSignal): Promise<void>;
  /** Marks real asynchronous work; a virtual clock does not advance while any is in flight. */
  track<T>(work: Promise<T>): Promise<T>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (milliseconds, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const timer = setTimeout(
        () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        Math.max(0, milliseconds),
      );
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
  track: (work) => work,
};

interface Timer {
  due: number;
  sequence: number;
  fire(): void;
  cancel(): void;
}

export class VirtualClock implements Clock {
  private current: number;
  private readonly timers: Timer[] = [];
  private sequence = 0;
  private busy = 0;
  private checkScheduled = false;
  private readonly idleListeners = new Set<() => void>();

  constructor(startMs: number = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  sleep(milliseconds: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const timer: Timer = {
        due: this.current + Math.max(0, milliseconds),
        sequence: this.sequence++,
        fire: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        cancel: () => reject(abortReason(signal!)),
      };
      const onAbort = (): void => {
        const index = this.timers.indexOf(timer);
        if (index >= 0) this.timers.splice(index, 1);
        timer.cancel();
        this.schedule();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.timers.push(timer);
      this.schedule();
    });
  }

  /** Runs `callback` at a virtual time `milliseconds` from now (to script events in tests). */
  at(milliseconds: number, callback: () => void): void {
    void this.sleep(milliseconds).then(callback);
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.busy += 1;
    return work.finally(() => {
      this.busy -= 1;
      this.schedule();
    });
  }

  /** Moves time forward by hand, firing the timers that fall due. */
  advance(milliseconds: number): void {
    const target = this.current + milliseconds;
    for (;;) {
      const next = this.earliest();
      if (!next || next.due > target) break;
      this.fire(next);
    }
    this.current = target;
  }

  /** Called whenever nothing is in flight and no timer is left. */
  onIdle(listener: () => void): () => void {
    this.idleListeners.add(listener);
    return () => this.idleListeners.delete(listener);
  }

  /** Asks the clock to look for work again (after something happened that it cannot see). */
  poke(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.checkScheduled) return;
    this.checkScheduled = true;
    // Two turns: promise chains settle, then I/O callbacks of this turn are seen.
    setImmediate(() =>
      setImmediate(() => {
        this.checkScheduled = false;
        this.check();
      }),
    );
  }

  private check(): void {
    if (this.busy > 0) return;
    const next = this.earliest();
    if (next) {
      this.fire(next);
      this.schedule();
      return;
    }
    for (const listener of [...this.idleListeners]) listener();
  }

  private earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of this.timers)
      if (!best || timer.due < best.due || (timer.due === best.due && timer.sequence < best.sequence))
        best = timer;
    return best;
  }

  private fire(timer: Timer): void {
    this.timers.splice(this.timers.indexOf(timer), 1);
    this.current = Math.max(this.current, timer.due);
    timer.fire();
  }
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error("aborted");
}
