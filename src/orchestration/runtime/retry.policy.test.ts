import { describe, expect, it } from "vitest";
import { backoffDelay, jitterDelay, matchesErrorFilter, planRetry } from "./retry.policy.ts";

describe("retry arithmetic", () => {
  it("computes constant, linear and exponential backoff", () => {
    expect([1, 2, 3].map((n) => backoffDelay({ delay: { seconds: 2 } }, n))).toEqual([2000, 2000, 2000]);
    expect([1, 2, 3].map((n) => backoffDelay({ delay: { seconds: 2 }, backoff: { linear: {} } }, n))).toEqual(
      [2000, 4000, 6000],
    );
    expect([1, 2, 3].map((n) => backoffDelay({ delay: "PT2S", backoff: { exponential: {} } }, n))).toEqual([
      2000, 4000, 8000,
    ]);
    expect(jitterDelay({ jitter: { from: "PT1S", to: "PT3S" } }, 0.25)).toBe(1500);
  });

  it("stops at the attempt count and the duration limit", () => {
    const policy = { delay: { seconds: 10 }, limit: { attempt: { count: 2 }, duration: { seconds: 25 } } };
    expect(planRetry(policy, 1, 0, 0)).toEqual({ retry: true, delayMs: 10_000 });
    expect(planRetry(policy, 2, 20_000, 0)).toEqual({ retry: false, reason: "duration", delayMs: 10_000 });
    expect(planRetry(policy, 3, 0, 0)).toEqual({ retry: false, reason: "attempts", delayMs: 10_000 });
    expect(planRetry({}, 100, 1e9, 0).retry).toBe(true);
  });

  it("filters errors by type (with namespace aliases), status, instance, title and details", () => {
    const error = {
      type: "https://serverlessworkflow.io/spec/1.0.0/errors/communication",
      status: 404,
      instance: "/do/0/try/0/get",
      title: "Not Found",
      detail: "gone",
    };
    expect(
      matchesErrorFilter(
        { type: "https://serverlessworkflow.io/dsl/errors/types/communication", status: 404 },
        error,
      ),
    ).toBe(true);
    expect(matchesErrorFilter({ instance: "/do/0/try" }, error)).toBe(true);
    expect(matchesErrorFilter({ instance: "/do/0/tr" }, error)).toBe(false);
    expect(matchesErrorFilter({ title: "Not Found", details: "gone" }, error)).toBe(true);
    expect(matchesErrorFilter({ status: 503 }, error)).toBe(false);
    expect(matchesErrorFilter(undefined, error)).toBe(true);
  });
});
