/**
 * Business-name normalisation and similarity for duplicate detection.
 *
 * Indian business names vary mostly in the legal-form suffix ("Pvt. Ltd.", "Private Limited", "(P) Ltd"), in a leading
 * "M/s", in punctuation and initials ("A.B.C." vs "ABC") and in "&" vs "and". Those are normalised away; what is left
 * is compared with Jaro-Winkler on the whole name and a fuzzy token overlap, so that word order and small typing
 * differences count for little.
 */

export interface NormalizedBusinessName {
  /** The name without legal form, e.g. "sharma traders". */
  core: string;
  /** Canonical legal form found at the end ("pvt ltd", "ltd", "llp", "co", "corp", "inc", "opc pvt ltd"), or null. */
  legalForm: string | null;
  /** core + legal form. */
  full: string;
}

/** Multi-word legal forms first so the longest match wins; each maps to its canonical spelling. */
const LEGAL_FORMS: ReadonlyArray<{ words: readonly string[]; canonical: string }> = [
  { words: ["opc", "private", "limited"], canonical: "opc pvt ltd" },
  { words: ["opc", "pvt", "ltd"], canonical: "opc pvt ltd" },
  { words: ["limited", "liability", "partnership"], canonical: "llp" },
  { words: ["private", "limited"], canonical: "pvt ltd" },
  { words: ["private", "ltd"], canonical: "pvt ltd" },
  { words: ["pvt", "limited"], canonical: "pvt ltd" },
  { words: ["pvt", "ltd"], canonical: "pvt ltd" },
  { words: ["p", "ltd"], canonical: "pvt ltd" },
  { words: ["pvtltd"], canonical: "pvt ltd" },
  { words: ["limited"], canonical: "ltd" },
  { words: ["ltd"], canonical: "ltd" },
  { words: ["llp"], canonical: "llp" },
  { words: ["company"], canonical: "co" },
  { words: ["co"], canonical: "co" },
  { words: ["corporation"], canonical: "corp" },
  { words: ["corpn"], canonical: "corp" },
  { words: ["corp"], canonical: "corp" },
  { words: ["incorporated"], canonical: "inc" },
  { words: ["inc"], canonical: "inc" },
];

/** Common abbreviations in Indian business names, expanded before comparison. */
const ABBREVIATIONS: Readonly<Record<string, string>> = {
  engg: "engineering",
  engrs: "engineers",
  mfg: "manufacturing",
  mfrs: "manufacturers",
  intl: "international",
  inds: "industries",
  ind: "industries",
  bros: "brothers",
  ent: "enterprises",
  natl: "national",
  govt: "government",
  dept: "department",
  svcs: "services",
  sri: "shri",
  shree: "shri",
  sree: "shri",
  shre: "shri",
};

function joinInitials(tokens: string[]): string[] {
  const result: string[] = [];
  let run = "";
  for (const token of tokens) {
    if (token.length === 1 && /[a-z]/.test(token)) {
      run += token;
      continue;
    }
    if (run !== "") result.push(run);
    run = "";
    result.push(token);
  }
  if (run !== "") result.push(run);
  return result;
}

export function normalizeBusinessName(name: string): NormalizedBusinessName {
  let text = name.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().trim();
  text = text.replace(/^(m\/s\.?|messrs\.?)\s*/, "");
  text = text.replace(/&/g, " and ");
  // "(P) Ltd" -> "p ltd"; punctuation becomes a space so "Pvt.Ltd." splits into words.
  text = text.replace(/[^\p{L}\p{N}]+/gu, " ");
  let tokens = text.split(" ").filter((token) => token !== "");
  if (tokens[0] === "the" && tokens.length > 1) tokens = tokens.slice(1);

  const forms: string[] = [];
  let stripped = true;
  while (stripped && tokens.length > 1) {
    stripped = false;
    for (const form of LEGAL_FORMS) {
      const tail = tokens.slice(-form.words.length);
      if (tokens.length > form.words.length && tail.join(" ") === form.words.join(" ")) {
        forms.unshift(form.canonical);
        tokens = tokens.slice(0, -form.words.length);
        stripped = true;
        break;
      }
    }
  }
  const core = joinInitials(tokens)
    .map((token) => ABBREVIATIONS[token] ?? token)
    .join(" ");
  const legalForm = forms.length > 0 ? forms.join(" ") : null;
  return { core, legalForm, full: legalForm === null ? core : `${core} ${legalForm}` };
}

/** Jaro-Winkler similarity in [0, 1] (prefix scale 0.1, prefix up to 4 characters). */
export function computeJaroWinkler(options: { left: string; right: string }): number {
  const { left: a, right: b } = options;
  if (a === b) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  const window = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1);
  const matchedA = new Array<boolean>(a.length).fill(false);
  const matchedB = new Array<boolean>(b.length).fill(false);
  let matches = 0;
  for (let i = 0; i < a.length; i += 1) {
    const from = Math.max(0, i - window);
    const to = Math.min(b.length - 1, i + window);
    for (let j = from; j <= to; j += 1) {
      if (matchedB[j] === true || a.charAt(i) !== b.charAt(j)) continue;
      matchedA[i] = true;
      matchedB[j] = true;
      matches += 1;
      break;
    }
  }
  if (matches === 0) return 0;
  let transpositions = 0;
  let k = 0;
  for (let i = 0; i < a.length; i += 1) {
    if (matchedA[i] !== true) continue;
    while (matchedB[k] !== true) k += 1;
    if (a.charAt(i) !== b.charAt(k)) transpositions += 1;
    k += 1;
  }
  const jaro = (matches / a.length + matches / b.length + (matches - transpositions / 2) / matches) / 3;
  let prefix = 0;
  while (prefix < 4 && prefix < a.length && prefix < b.length && a.charAt(prefix) === b.charAt(prefix))
    prefix += 1;
  return jaro + prefix * 0.1 * (1 - jaro);
}

/** A token without a plural "s" ("steels" -> "steel"), for tokens longer than three letters. */
function stem(token: string): string {
  return token.length > 3 && token.endsWith("s") && !token.endsWith("ss") ? token.slice(0, -1) : token;
}

/**
 * Overlap of two token lists (Dice coefficient) where tokens count as equal when their stems are at least 0.96 alike
 * by Jaro-Winkler: that forgives "Agarwal"/"Aggarwal" but not "Reliance"/"Reliable".
 */
function fuzzyTokenDice(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  const unused = [...b];
  let shared = 0;
  for (const token of a) {
    let bestIndex = -1;
    let best = 0;
    unused.forEach((other, index) => {
      const score = computeJaroWinkler({ left: stem(token), right: stem(other) });
      if (score > best) {
        best = score;
        bestIndex = index;
      }
    });
    if (bestIndex >= 0 && best >= 0.96) {
      shared += best;
      unused.splice(bestIndex, 1);
    }
  }
  return (2 * shared) / (a.length + b.length);
}

/**
 * Similarity of two business names in [0, 1] after normalisation: the mean of Jaro-Winkler over the sorted core
 * tokens and the fuzzy token overlap. Identical cores score 1, less 0.05 when both carry different legal forms
 * (a "Pvt Ltd" and an "LLP" of the same name are usually different entities).
 */
export function compareBusinessNames(options: { left: string; right: string }): number {
  const left = normalizeBusinessName(options.left);
  const right = normalizeBusinessName(options.right);
  if (left.core === "" || right.core === "") return 0;
  const formPenalty =
    left.legalForm !== null && right.legalForm !== null && left.legalForm !== right.legalForm ? 0.05 : 0;
  if (left.core === right.core) return 1 - formPenalty;
  const leftTokens = left.core.split(" ");
  const rightTokens = right.core.split(" ");
  const sortedLeft = [...leftTokens].sort().join(" ");
  const sortedRight = [...rightTokens].sort().join(" ");
  const whole = Math.max(
    computeJaroWinkler({ left: left.core, right: right.core }),
    computeJaroWinkler({ left: sortedLeft, right: sortedRight }),
  );
  const tokens = fuzzyTokenDice(leftTokens, rightTokens);
  return Math.max(0, (whole + tokens) / 2 - formPenalty);
}
