import { describe, expect, it } from "vitest";
import { createPasswordHasher, passwordPolicyIssues } from "./password.hasher.ts";

const light = { memoryCost: 8192, timeCost: 2, parallelism: 1 };
const hasher = createPasswordHasher(light);

describe("password hashing", () => {
  it("hashes with argon2id and the configured parameters, salted", async () => {
    const hash = await hasher.hash("correct horse battery staple");
    expect(hash).toMatch(/^\$argon2id\$v=19\$/);
    expect(hash).toMatch(/[$,]m=8192[,$]/);
    expect(hash).toMatch(/[$,]t=2[,$]/);
    expect(hash).toMatch(/[$,]p=1[,$]/);
    expect(await hasher.hash("correct horse battery staple")).not.toBe(hash);
  });

  it("verifies the right password only", async () => {
    const hash = await hasher.hash("correct horse battery staple");
    expect(await hasher.verify(hash, "correct horse battery staple")).toEqual({
      valid: true,
      needsRehash: false,
    });
    expect(await hasher.verify(hash, "correct horse battery stapler")).toEqual({
      valid: false,
      needsRehash: false,
    });
    expect(await hasher.verify("not a hash", "x")).toEqual({ valid: false, needsRehash: false });
  });

  it("asks for a rehash when the parameters change or the variant is not argon2id", async () => {
    const old = await createPasswordHasher({ memoryCost: 4096, timeCost: 1, parallelism: 1 }).hash(
      "pa55word-long-enough",
    );
    expect(await hasher.verify(old, "pa55word-long-enough")).toEqual({ valid: true, needsRehash: true });
    const argon2 = await import("argon2");
    const argon2i = await argon2.hash("pa55word-long-enough", { type: argon2.argon2i, ...light });
    expect(await hasher.verify(argon2i, "pa55word-long-enough")).toEqual({ valid: true, needsRehash: true });
  });

  it("compares passwords in Unicode NFKC", async () => {
    const hash = await hasher.hash("ｐａｓｓｗｏｒｄ－ｗｉｄｅ１２");
    expect((await hasher.verify(hash, "password-wide12")).valid).toBe(true);
  });

  it("spends a verification when there is no account", async () => {
    await expect(hasher.verifyNothing("anything at all")).resolves.toBeUndefined();
  });

  it("asks only for a length between 12 and 256", () => {
    expect(passwordPolicyIssues("short")).toEqual([
      { field: "password", reason: "must be at least 12 characters" },
    ]);
    expect(passwordPolicyIssues("twelve chars")).toEqual([]);
    expect(passwordPolicyIssues("पासवर्ड-बहुत-लंबा")).toEqual([]);
    expect(passwordPolicyIssues("x".repeat(257))[0]?.reason).toMatch(/at most 256/);
  });
});
