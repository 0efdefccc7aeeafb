import { z } from "zod";
import { AppError, type FieldIssue } from "../../kernel/app-error.ts";
import type { Paise } from "../../kernel/money.ts";
import { decimalRupeesToPaise, paiseToDecimal } from "./amounts.ts";
import { parseWith } from "./field-issues.ts";
import { isValidVpa, ZPositivePaise } from "./payment.schema.ts";

/**
 * UPI deep links per the NPCI "UPI Linking Specifications" (parameters pa, pn, mc, tid, tr, tn, am, mam, cu, url):
 * upi://pay?pa=<vpa>&pn=<name>&am=<amount>&cu=INR&tn=<note>&tr=<reference>
 * Values are percent-encoded as UTF-8 with spaces as %20 (never "+"); "@" stays literal as in published samples.
 */

export const ZUpiLinkRequest = z.object({
  payeeVpa: z.string().trim().refine(isValidVpa, "not a UPI address of the form name@psp"),
  payeeName: z.string().trim().min(1, "payee name is required").max(99, "at most 99 characters"),
  amountPaise: ZPositivePaise.optional(),
  minimumAmountPaise: ZPositivePaise.optional(),
  /** Invoice number or order id; mandatory for merchant (dynamic) links. */
  transactionReference: z.string().trim().min(1).max(35, "at most 35 characters").optional(),
  transactionNote: z.string().trim().min(1).max(50, "at most 50 characters").optional(),
  merchantCode: z
    .string()
    .regex(/^\d{4}$/, "a merchant category code has 4 digits")
    .optional(),
  transactionId: z.string().trim().min(1).max(35).optional(),
  url: z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).optional(),
});
export type UpiLinkRequest = z.input<typeof ZUpiLinkRequest>;

const UNRESERVED = /[A-Za-z0-9\-._~@]/;

/** Percent-encodes a value for a UPI link: UTF-8, spaces as %20, letters, digits, "-._~" and "@" kept. */
export function encodeUpiValue(value: string): string {
  let result = "";
  for (const char of value) {
    if (UNRESERVED.test(char)) {
      result += char;
      continue;
    }
    for (const byte of Buffer.from(char, "utf8"))
      result += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return result;
}

/** Builds a UPI deep link; parameters in the order pa, pn, am, mam, cu, tn, tr, mc, tid, url. */
export function buildUpiLink(request: UpiLinkRequest): string {
  const valid = parseWith(ZUpiLinkRequest, request);
  const issues: FieldIssue[] = [];
  if (
    valid.minimumAmountPaise !== undefined &&
    valid.amountPaise !== undefined &&
    valid.minimumAmountPaise > valid.amountPaise
  ) {
    issues.push({ field: "minimumAmountPaise", reason: "must not exceed the amount" });
  }
  if (issues.length > 0) throw AppError.invalidInput(issues);
  const parameters: Array<[string, string | undefined]> = [
    ["pa", valid.payeeVpa],
    ["pn", valid.payeeName],
    ["am", valid.amountPaise === undefined ? undefined : paiseToDecimal(valid.amountPaise)],
    ["mam", valid.minimumAmountPaise === undefined ? undefined : paiseToDecimal(valid.minimumAmountPaise)],
    ["cu", "INR"],
    ["tn", valid.transactionNote],
    ["tr", valid.transactionReference],
    ["mc", valid.merchantCode],
    ["tid", valid.transactionId],
    ["url", valid.url],
  ];
  const query = parameters
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}=${name === "url" ? encodeURI(value) : encodeUpiValue(value)}`)
    .join("&");
  return `upi://pay?${query}`;
}

export interface ParsedUpiLink {
  scheme: string;
  payeeVpa?: string;
  payeeName?: string;
  amountPaise?: Paise;
  minimumAmountPaise?: Paise;
  currency?: string;
  transactionReference?: string;
  transactionNote?: string;
  merchantCode?: string;
  transactionId?: string;
  url?: string;
  /** Parameters the spec does not list, kept as given. */
  extra: Record<string, string>;
  /** Problems found; the link is usable only when this is empty. */
  issues: FieldIssue[];
}

function decode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * Reads a UPI link (upi://pay, or an app scheme such as gpay://upi/pay) and reports every problem instead of
 * throwing: a missing payee address or name, an address that is not name@psp, an amount that is not decimal
 * rupees with at most two decimals, a currency other than INR.
 */
export function parseUpiLink(link: string): ParsedUpiLink {
  const issues: FieldIssue[] = [];
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^?#]*)\?([^#]*)$/i.exec(link.trim());
  if (!match) {
    return {
      scheme: "",
      extra: {},
      issues: [{ field: "link", reason: "not a link of the form <scheme>://pay?<parameters>" }],
    };
  }
  const scheme = (match[1] ?? "").toLowerCase();
  const path = (match[2] ?? "").toLowerCase();
  if (!(path === "pay" || path.endsWith("/pay")))
    issues.push({ field: "link", reason: `"${path}" is not a pay intent` });
  const values = new Map<string, string>();
  for (const pair of (match[3] ?? "").split("&")) {
    if (pair === "") continue;
    const separator = pair.indexOf("=");
    const name = separator < 0 ? pair : pair.slice(0, separator);
    const raw = separator < 0 ? "" : pair.slice(separator + 1);
    const value = decode(raw);
    if (value === undefined) {
      issues.push({ field: name, reason: "malformed percent-encoding" });
      continue;
    }
    if (values.has(name)) issues.push({ field: name, reason: "given more than once" });
    values.set(name, value);
  }
  const result: ParsedUpiLink = { scheme, extra: {}, issues };
  const known = new Set(["pa", "pn", "am", "mam", "cu", "tr", "tn", "mc", "tid", "url"]);
  for (const [name, value] of values) if (!known.has(name)) result.extra[name] = value;
  const pa = values.get("pa");
  if (pa === undefined || pa === "") issues.push({ field: "pa", reason: "payee address is mandatory" });
  else if (!isValidVpa(pa))
    issues.push({ field: "pa", reason: `"${pa}" is not a UPI address of the form name@psp` });
  else result.payeeVpa = pa;
  const pn = values.get("pn");
  if (pn === undefined || pn.trim() === "") issues.push({ field: "pn", reason: "payee name is mandatory" });
  else result.payeeName = pn;
  for (const [name, target] of [
    ["am", "amountPaise"],
    ["mam", "minimumAmountPaise"],
  ] as const) {
    const text = values.get(name);
    if (text === undefined) continue;
    const paise = /^\d+(\.\d{1,2})?$/.test(text) ? decimalRupeesToPaise(text) : undefined;
    if (paise === undefined || paise <= 0n)
      issues.push({
        field: name,
        reason: `"${text}" is not a positive amount in rupees with at most two decimals`,
      });
    else result[target] = paise;
  }
  const cu = values.get("cu");
  if (cu !== undefined) {
    if (cu !== "INR") issues.push({ field: "cu", reason: "only INR is supported" });
    result.currency = cu;
  }
  const copy = [
    ["tr", "transactionReference"],
    ["tn", "transactionNote"],
    ["mc", "merchantCode"],
    ["tid", "transactionId"],
    ["url", "url"],
  ] as const;
  for (const [name, target] of copy) {
    const value = values.get(name);
    if (value !== undefined) result[target] = value;
  }
  return result;
}
