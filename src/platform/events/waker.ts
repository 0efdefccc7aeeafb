/** Lets a loop sleep until it is woken or a time has passed; a wake while it is awake is not lost. */
export class Waker {
  private pending = false;
  private readonly waiters = new Set<() => void>();

  wake(): void {
    this.pending = true;
    for (const resolve of [...this.waiters]) resolve();
  }

  /** Returns at once if woken since the last wait, else after `ms` or at the next wake. */
  async wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return;
    }
    await this.sleep(ms);
    this.pending = false;
  }

  /** Sleeps `ms`, cut short by a wake (which it does not consume). */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }
}
