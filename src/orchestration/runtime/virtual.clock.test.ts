import { describe, expect, it } from "vitest";
import { systemClock, VirtualClock } from "./virtual.clock.ts";

describe("VirtualClock", () => {
  it("jumps to the next timer when nothing is in flight", async () => {
    const clock = new VirtualClock(1000);
    const order: string[] = [];
    const long = clock.sleep(5000).then(() => order.push(`long@${clock.now()}`));
    const short = clock.sleep(2000).then(() => order.push(`short@${clock.now()}`));
    await Promise.all([long, short]);
    expect(order).toEqual(["short@3000", "long@6000"]);
  });

  it("does not move while tracked work is in flight", async () => {
    const clock = new VirtualClock(0);
    let finish: () => void = () => undefined;
    const work = clock.track(new Promise<void>((resolve) => (finish = resolve)));
    let fired = false;
    const timer = clock.sleep(1000).then(() => (fired = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fired).toBe(false);
    expect(clock.now()).toBe(0);
    finish();
    await work;
    await timer;
    expect(clock.now()).toBe(1000);
  });

  it("rejects an aborted sleep with the signal's reason", async () => {
    const clock = new VirtualClock(0);
    const controller = new AbortController();
    const sleep = clock.sleep(1000, controller.signal);
    controller.abort(new Error("stop"));
    await expect(sleep).rejects.toThrow("stop");
    expect(clock.now()).toBe(0);
  });

  it("advances by hand and reports idleness", async () => {
    const clock = new VirtualClock(0);
    let fired = 0;
    void clock.sleep(10).then(() => (fired += 1));
    clock.advance(5);
    expect(clock.now()).toBe(5);
    clock.advance(10);
    await Promise.resolve();
    expect(fired).toBe(1);
    const idle = new Promise<void>((resolve) => clock.onIdle(resolve));
    clock.poke();
    await idle;
  });
});

describe("systemClock", () => {
  it("sleeps for real and can be aborted", async () => {
    const started = Date.now();
    await systemClock.sleep(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    const controller = new AbortController();
    const pending = systemClock.sleep(10_000, controller.signal);
    controller.abort(new Error("cancelled"));
    await expect(pending).rejects.toThrow("cancelled");
  });
});
