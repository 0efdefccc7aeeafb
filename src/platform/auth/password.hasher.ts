import { randomBytes } from "node:crypto";
import argon2, { type HashOptions } from "argon2";
import { AppError, type FieldIssue } from "../../kernel/app-error.ts";

/** Cost of one argon2id hash. Memory in KiB. */
export interface Argon2Parameters {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes): about 50-150 ms on a laptop core. */
export const DEFAULT_ARGON2_PARAMETERS: Argon2Parameters = {
  memoryCost: 65_536,
  timeCost: 3,
  parallelism: 4,
};

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

export interface PasswordVerification {
  valid: boolean;
  /** The hash was made with other parameters (or another algorithm): store a fresh one. */
  needsRehash: boolean;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(storedHash: string, password: string): Promise<PasswordVerification>;
  /** Spends the time of a verification when there is no account, so timing does not tell whether one exists. */
  verifyNothing(password: string): Promise<void>;
}

/** Passwords are compared in Unicode NFKC, so the same characters typed on different keyboards match. */
function normalise(password: string): string {
  return password.normalize("NFKC");
}

/** Length only, as NIST SP 800-63B advises: 12 to 256 characters, no composition rules. */
export function passwordPolicyIssues(password: string, field = "password"): FieldIssue[] {
  const length = [...normalise(password)].length;
  if (length < PASSWORD_MIN_LENGTH) {
    return [{ field, reason: `must be at least ${PASSWORD_MIN_LENGTH} characters` }];
  }
  if (length > PASSWORD_MAX_LENGTH)
    return [{ field, reason: `must be at most ${PASSWORD_MAX_LENGTH} characters` }];
  return [];
}

export function assertPasswordPolicy(password: string, field = "password"): void {
  const issues = passwordPolicyIssues(password, field);
  if (issues.length > 0) throw AppError.invalidInput(issues);
}

export function createPasswordHasher(
  parameters: Argon2Parameters = DEFAULT_ARGON2_PARAMETERS,
): PasswordHasher {
  const options: HashOptions = { type: argon2.argon2id, ...parameters };
  let decoy: Promise<string> | undefined;

  async function verify(storedHash: string, password: string): Promise<PasswordVerification> {
    // Refuse absurd input before spending memory on it; a real password is far shorter.
    if (password.length > PASSWORD_MAX_LENGTH * 4) return { valid: false, needsRehash: false };
    let valid: boolean;
    try {
      valid = await argon2.verify(storedHash, normalise(password));
    } catch {
      return { valid: false, needsRehash: false };
    }
    const needsRehash =
      valid && (!storedHash.startsWith("$argon2id$") || argon2.needsRehash(storedHash, parameters));
    return { valid, needsRehash };
  }

  return {
    hash: (password) => argon2.hash(normalise(password), options),
    verify,
    async verifyNothing(password) {
      decoy ??= argon2.hash(randomBytes(16).toString("hex"), options);
      await verify(await decoy, password);
    },
  };
}
