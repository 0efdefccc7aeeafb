import { checkGstin, normalizeGstin } from "../../kernel/gstin.ts";
import { normalizePan } from "../../kernel/pan.ts";
import { compareBusinessNames } from "./name-similarity.ts";
import { normalizePhoneNumber } from "./phone-number.ts";

/** The parts of a customer duplicate detection looks at; a stored Customer fits. */
export interface DuplicateCandidate {
  id?: string;
  legalName: string;
  tradeName?: string | undefined;
  gstin?: string | undefined;
  pan?: string | undefined;
  contacts?: ReadonlyArray<{
    email?: string | undefined;
    phone?: string | undefined;
    whatsapp?: string | undefined;
  }>;
  /**
   * Opaque keys of the contacts (blind indexes of the addresses and numbers) used instead of `contacts`:
   * stored contacts are encrypted, so both sides are compared by their blind indexes.
   */
  contactKeys?: readonly string[];
}

export type DuplicateReason = "same-gstin" | "same-pan" | "similar-name" | "shared-contact";

export interface DuplicateMatch {
  customerId: string;
  /** 1 for a certain match; otherwise the name similarity (plus 0.05 for a shared contact), below 1. */
  score: number;
  certainty: "certain" | "likely";
  reasons: DuplicateReason[];
  /** The existing name that matched best. */
  matchedName: string;
}

/** Default score from which a name match is reported. */
export const DEFAULT_DUPLICATE_THRESHOLD = 0.88;

function panOf(customer: DuplicateCandidate): string | null {
  if (customer.pan !== undefined && customer.pan.trim() !== "") return normalizePan(customer.pan);
  if (customer.gstin === undefined) return null;
  const parsed = checkGstin(customer.gstin);
  return parsed.ok ? parsed.value.pan : null;
}

function contactKeys(customer: DuplicateCandidate): Set<string> {
  if (customer.contactKeys !== undefined) return new Set(customer.contactKeys);
  const keys = new Set<string>();
  for (const contact of customer.contacts ?? []) {
    if (contact.email !== undefined) keys.add(`email:${contact.email.trim().toLowerCase()}`);
    for (const number of [contact.phone, contact.whatsapp]) {
      if (number !== undefined) keys.add(`phone:${normalizePhoneNumber(number)}`);
    }
  }
  return keys;
}

function namesOf(customer: DuplicateCandidate): string[] {
  return [customer.legalName, customer.tradeName].filter(
    (name): name is string => name !== undefined && name.trim() !== "",
  );
}

/** Scores one existing customer against the candidate; null when nothing links them. */
function compare(
  candidate: DuplicateCandidate,
  existing: DuplicateCandidate & { id: string },
): DuplicateMatch | null {
  const reasons: DuplicateReason[] = [];
  if (
    candidate.gstin !== undefined &&
    existing.gstin !== undefined &&
    normalizeGstin(candidate.gstin) === normalizeGstin(existing.gstin)
  ) {
    reasons.push("same-gstin");
  }
  const candidatePan = panOf(candidate);
  if (candidatePan !== null && candidatePan === panOf(existing)) reasons.push("same-pan");

  let nameScore = 0;
  let matchedName = existing.legalName;
  for (const left of namesOf(candidate)) {
    for (const right of namesOf(existing)) {
      const score = compareBusinessNames({ left, right });
      if (score > nameScore) {
        nameScore = score;
        matchedName = right;
      }
    }
  }
  const candidateContacts = contactKeys(candidate);
  const sharesContact = [...contactKeys(existing)].some((key) => candidateContacts.has(key));

  if (reasons.length > 0) {
    if (nameScore >= DEFAULT_DUPLICATE_THRESHOLD) reasons.push("similar-name");
    if (sharesContact) reasons.push("shared-contact");
    return { customerId: existing.id, score: 1, certainty: "certain", reasons, matchedName };
  }
  if (nameScore === 0) return null;
  reasons.push("similar-name");
  let score = nameScore;
  if (sharesContact) {
    reasons.push("shared-contact");
    score = Math.min(0.99, score + 0.05);
  }
  // A perfect name match without an identifier is still only likely: two firms may share a name in different cities.
  score = Math.min(score, 0.99);
  return {
    customerId: existing.id,
    score: Math.round(score * 1000) / 1000,
    certainty: "likely",
    reasons,
    matchedName,
  };
}

/**
 * Every existing customer that is probably the candidate, best first: same GSTIN or PAN (certain), or a similar name
 * scoring at least `threshold` after normalisation. The candidate's own record (same id) is skipped.
 */
export function findLikelyDuplicates(options: {
  candidate: DuplicateCandidate;
  existing: ReadonlyArray<DuplicateCandidate & { id: string }>;
  threshold?: number;
}): DuplicateMatch[] {
  const threshold = options.threshold ?? DEFAULT_DUPLICATE_THRESHOLD;
  return options.existing
    .filter((existing) => options.candidate.id === undefined || existing.id !== options.candidate.id)
    .map((existing) => compare(options.candidate, existing))
    .filter(
      (match): match is DuplicateMatch =>
        match !== null && (match.certainty === "certain" || match.score >= threshold),
    )
    .sort((a, b) => b.score - a.score || a.customerId.localeCompare(b.customerId));
}

/** The single most likely duplicate of the candidate, or null. */
export function findLikelyDuplicate(options: {
  candidate: DuplicateCandidate;
  existing: ReadonlyArray<DuplicateCandidate & { id: string }>;
  threshold?: number;
}): DuplicateMatch | null {
  return findLikelyDuplicates(options)[0] ?? null;
}
