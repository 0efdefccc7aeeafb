import { IFSC_PATTERN } from "./payment.schema.ts";

/**
 * Reads what Indian banks pack into a statement narration, e.g.
 *   HDFC   "NEFT CR-CITI0000003-ACME INFRA PVT LTD-INV 42" / "UPI-ACME INFRA-ACME@OKHDFCBANK-HDFC0000001-519812345678-INV42"
 *   ICICI  "NEFT-CITIN25201114659-ACME INFRA PVT LTD" / "UPI/519812345678/INV 42/acme@okicici/HDFC Bank" / "MMT/IMPS/519812345678/..."
 *   SBI    "BY TRANSFER-NEFT*CITI0000003*CITIN25201114659*ACME INFRA" / "TRANSFER FROM 4897 - UPI/CR/519812345678/ACME/HDFC/acme@ok..."
 * Heuristic by nature: separators vary by bank and by year; what is found is a hint for matching, never trusted alone.
 */

export type PaymentChannel =
  "NEFT" | "RTGS" | "IMPS" | "UPI" | "CHEQUE" | "CASH" | "CARD" | "ACH" | "INTERNAL";

export interface NarrationFacts {
  channel?: PaymentChannel;
  direction?: "credit" | "debit";
  utr?: string;
  ifsc?: string;
  vpa?: string;
  counterpartyName?: string;
  /** Free text left after the recognised parts (often the payer's remark: invoice numbers live here). */
  remarks: string[];
}

const CHANNEL_WORDS: Array<[RegExp, PaymentChannel]> = [
  [/^(NEFT|NEFTCR|NEFTDR|NEFT CR|NEFT DR|N\/?EFT)$/, "NEFT"],
  [/^(RTGS|RTGSCR|RTGS CR|RTGS DR)$/, "RTGS"],
  [/^(IMPS|MMT|IMPS CR|IMPS-P2A|P2A)$/, "IMPS"],
  [/^(UPI|UPIAR|UPI CR|UPI DR|UPIAB|UPI-CR)$/, "UPI"],
  [/^(CHQ|CHEQUE|CLG|CLEARING|INWARD CLG|CHQ DEP|CHQ DEPOSIT|MICR)$/, "CHEQUE"],
  [/^(CASH|CASH DEP|CASH DEPOSIT|BY CASH|CDM)$/, "CASH"],
  [/^(ACH|NACH|ECS|ACH CR|NACH CR)$/, "ACH"],
  [/^(POS|CARD|PG SETTLEMENT)$/, "CARD"],
  [/^(INF|INFT|IFT|FT|TRF|BY TRANSFER|TO TRANSFER|TRANSFER FROM|TRANSFER TO|BY TRF)$/, "INTERNAL"],
];

const NOISE_WORDS = new Set([
  "CR",
  "DR",
  "P2A",
  "P2M",
  "P2P",
  "PAYMENT",
  "PAYMENT FROM PHONE",
  "PAY",
  "SENT USING PAYTM UPI",
  "NA",
  "NO REMARKS",
  "REMARKS",
  "TRANSFER",
  "FUND TRANSFER",
  "OTHERS",
  "BANK",
  "NULL",
]);

const BANK_WORDS =
  /^(HDFC|ICICI|SBI|STATE BANK|AXIS|KOTAK|YES|IDFC|INDUSIND|PNB|BOB|CANARA|UNION|FEDERAL|RBL|IDBI|CITI|HSBC|SCB|PAYTM|AIRTEL)( BANK.*)?$|BANK( LTD| LIMITED)?$/;

/** 12 digits (UPI/IMPS RRN), a NEFT UTR (16) or an RTGS UTR (22, or 16 with R fifth). */
const UTR_PATTERNS: Array<[RegExp, PaymentChannel | undefined]> = [
  [/^[A-Z]{4}R[A-Z0-9]{17}$/, "RTGS"],
  [/^[A-Z]{4}[A-Z0-9]{12}$/, "NEFT"],
  [/^N\d{15}$/, "NEFT"],
  [/^\d{12}$/, undefined],
];

const VPA = /^[A-Za-z0-9][A-Za-z0-9._-]{1,255}@[A-Za-z][A-Za-z0-9.-]{1,63}$/;

function channelOf(token: string): PaymentChannel | undefined {
  const upper = token.toUpperCase().replace(/\s+/g, " ").trim();
  for (const [pattern, channel] of CHANNEL_WORDS) if (pattern.test(upper)) return channel;
  return undefined;
}

export function parseIndianNarration(text: string): NarrationFacts {
  const facts: NarrationFacts = { remarks: [] };
  const normalised = text.replace(/\s+/g, " ").trim();
  if (/\b(CR|CREDIT)\b/i.test(normalised.slice(0, 12))) facts.direction = "credit";
  else if (/\b(DR|DEBIT)\b/i.test(normalised.slice(0, 12))) facts.direction = "debit";
  const tokens = normalised
    .split(/\s*[-/*|:\\]\s*|\s{2,}/)
    .map((token) => token.trim())
    .filter((token) => token !== "");
  const names: string[] = [];
  for (const token of tokens) {
    const upper = token.toUpperCase();
    const channel = channelOf(upper) ?? channelOf(upper.split(" ")[0] ?? "");
    if (
      channel &&
      (channelOf(upper) || upper.split(" ").length <= 2) &&
      (!facts.channel || (facts.channel === "INTERNAL" && channel !== "INTERNAL"))
    ) {
      facts.channel = channel;
      continue;
    }
    if (channelOf(upper)) continue;
    if (VPA.test(token)) {
      facts.vpa ??= token.toLowerCase();
      continue;
    }
    if (IFSC_PATTERN.test(upper) || /^[A-Z]{4}0[A-Z0-9]{3}UPI$/.test(upper)) {
      facts.ifsc ??= upper;
      continue;
    }
    const utr = UTR_PATTERNS.find(([pattern]) => pattern.test(upper) && /\d{6}/.test(upper));
    if (utr && !facts.utr) {
      facts.utr = upper;
      if ((!facts.channel || facts.channel === "INTERNAL") && utr[1]) facts.channel = utr[1];
      continue;
    }
    if (NOISE_WORDS.has(upper) || BANK_WORDS.test(upper)) continue;
    if (/^[A-Z][A-Z .&'()]{2,}$/i.test(token) && !/\d/.test(token)) names.push(token);
    else facts.remarks.push(token);
  }
  const [first, ...rest] = names;
  if (first !== undefined) facts.counterpartyName = first.toUpperCase();
  facts.remarks.push(...rest);
  if (facts.channel === "UPI" || facts.channel === "IMPS") {
    facts.utr ??= /(?:^|\D)(\d{12})(?:\D|$)/.exec(normalised)?.[1];
  }
  if (facts.utr === undefined) delete facts.utr;
  return facts;
}
