/**
 * Party-name comparison for Indian business names as banks and TRACES print them: upper case, truncated
 * (NEFT narrations cut names at 20-35 characters), with or without "M/S", "PVT LTD", "PRIVATE LIMITED", "&".
 */

const LEGAL_WORDS = new Set([
  "M/S",
  "MS",
  "MESSRS",
  "PVT",
  "PRIVATE",
  "PVTLTD",
  "LTD",
  "LIMITED",
  "LLP",
  "LLC",
  "INC",
  "CO",
  "COMPANY",
  "CORP",
  "CORPORATION",
  "THE",
  "AND",
  "OF",
  "OPC",
]);

/** Tokens of a party name without punctuation and legal-form words. */
export function partyNameTokens(name: string): string[] {
  const cleaned = name
    .toUpperCase()
    .replace(/\bM\/S\.?/g, " ")
    .replace(/&/g, " AND ")
    .replace(/[^A-Z0-9]+/g, " ")
    .trim();
  if (cleaned === "") return [];
  return cleaned.split(" ").filter((token) => token.length > 0 && !LEGAL_WORDS.has(token));
}

function withinOneEdit(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  let j = 0;
  let edits = 0;
  while (i < a.length && j < b.length) {
    if (a.charCodeAt(i) === b.charCodeAt(j)) {
      i += 1;
      j += 1;
      continue;
    }
    edits += 1;
    if (edits > 1) return false;
    if (a.length > b.length) i += 1;
    else if (b.length > a.length) j += 1;
    else {
      i += 1;
      j += 1;
    }
  }
  return edits + (a.length - i) + (b.length - j) <= 1;
}

/** How well a token of the text stands for a token of the name: 1 equal, 0.9 truncated or one typo, else 0. */
export function tokenMatch(nameToken: string, textToken: string): number {
  if (nameToken === textToken) return 1;
  if (textToken.length >= 3 && nameToken.startsWith(textToken)) return 0.9;
  if (nameToken.length >= 5 && textToken.length >= 5 && withinOneEdit(nameToken, textToken)) return 0.9;
  return 0;
}

/**
 * Share of the name (by characters, so "SHARMA" weighs more than "AB") found among the text tokens, in [0, 1].
 * The text may contain anything else (a narration); only the name's coverage counts.
 */
export function nameCoverage(nameTokens: readonly string[], textTokens: readonly string[]): number {
  if (nameTokens.length === 0) return 0;
  let total = 0;
  let covered = 0;
  for (const token of nameTokens) {
    total += token.length;
    let best = 0;
    for (const candidate of textTokens) {
      const score = tokenMatch(token, candidate);
      if (score > best) best = score;
      if (best === 1) break;
    }
    covered += best * token.length;
  }
  return covered / total;
}

/** Symmetric similarity of two names in [0, 1]: either may be the truncated one. */
export function nameSimilarity(a: string, b: string): number {
  const left = partyNameTokens(a);
  const right = partyNameTokens(b);
  if (left.length === 0 || right.length === 0) return 0;
  const coverage = (names: string[], texts: string[]): number => {
    let total = 0;
    let covered = 0;
    for (const name of names) {
      total += name.length;
      let best = 0;
      for (const text of texts) best = Math.max(best, tokenMatch(name, text), tokenMatch(text, name));
      covered += best * name.length;
    }
    return covered / total;
  };
  return (coverage(left, right) + coverage(right, left)) / 2;
}
