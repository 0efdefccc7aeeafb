import { z } from "zod";
import { isIsoDate, daysBetween, addDays } from "./calendar-date.ts";
import { parseWith } from "./field-issues.ts";

/** Paise as bigint; integer strings are accepted so that JSON payloads round-trip. */
export const ZPaise = z
  .union([z.bigint(), z.string().regex(/^-?\d+$/, "must be an integer number of paise")])
  .transform((value) => (typeof value === "bigint" ? value : BigInt(value)));

export const ZPositivePaise = ZPaise.refine((value) => value > 0n, "must be more than zero paise");
export const ZNonNegativePaise = ZPaise.refine((value) => value >= 0n, "must not be negative");

export const ZIsoDate = z.string().refine(isIsoDate, "must be a calendar date written YYYY-MM-DD");

export const PAYMENT_METHODS = ["upi", "neft", "rtgs", "imps", "cheque", "cash", "card"] as const;
export const ZPaymentMethod = z.enum(PAYMENT_METHODS);
export type PaymentMethod = z.infer<typeof ZPaymentMethod>;

/**
 * Reference formats per method.
 * - UPI and IMPS: the 12-digit RRN (retrieval reference number) that NPCI switches assign and payer apps show as "UTR".
 * - NEFT: 16-character UTR that starts with the sending bank's 4-letter IFSC bank code; some banks show their own
 *   16-character reference starting with "N" followed by 15 digits instead.
 * - RTGS: UTR of 22 characters (bank code + "R" + channel + YYYYMMDD + 8-digit sequence); the older 16-character
 *   form (bank code + "R" + 11 characters) still appears on old records.
 * - Cheque: the 6-digit cheque number printed in the MICR band.
 * - Card: the gateway's payment id or the authorisation code (6 to 40 characters).
 * - Cash: an optional receipt-book number.
 */
export const REFERENCE_PATTERNS: Record<PaymentMethod, RegExp> = {
  upi: /^\d{12}$/,
  imps: /^\d{12}$/,
  neft: /^(?:[A-Z]{4}[A-Z0-9]{12}|N\d{15})$/,
  rtgs: /^[A-Z]{4}R(?:[A-Z0-9]{17}|[A-Z0-9]{11})$/,
  cheque: /^\d{6}$/,
  card: /^[A-Za-z0-9_-]{6,40}$/,
  cash: /^[A-Za-z0-9/_-]{1,35}$/,
};

const REFERENCE_DESCRIPTIONS: Record<PaymentMethod, string> = {
  upi: "a UPI reference is the 12-digit RRN",
  imps: "an IMPS reference is the 12-digit RRN",
  neft: "a NEFT UTR has 16 characters starting with the 4-letter bank code",
  rtgs: "an RTGS UTR has 22 characters (or 16 on old records) with 'R' as the fifth character",
  cheque: "a cheque number has 6 digits",
  card: "a card reference has 6 to 40 letters, digits, '-' or '_'",
  cash: "a cash receipt number has up to 35 letters, digits, '/', '-' or '_'",
};

/** UPI virtual payment address: handle@psp. NPCI publishes no regex; this is the common conservative form. */
export const VPA_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{1,255}@[A-Za-z][A-Za-z0-9.-]{1,63}$/;
export const IFSC_PATTERN = /^[A-Z]{4}0[A-Z0-9]{6}$/;

export function isValidVpa(value: string): boolean {
  return VPA_PATTERN.test(value);
}

/** Normalises a reference as banks print it: trimmed, upper case, inner spaces removed. */
export function normaliseReference(reference: string): string {
  return reference.trim().toUpperCase().replace(/\s+/g, "");
}

export function describeReferenceFormat(method: PaymentMethod): string {
  return REFERENCE_DESCRIPTIONS[method];
}

export function isValidReference(method: PaymentMethod, reference: string): boolean {
  return REFERENCE_PATTERNS[method].test(
    method === "card" ? reference.trim() : normaliseReference(reference),
  );
}

/** Cash receipts of ₹2,00,000 or more from one person in a day, transaction or event are barred by s.269ST. */
export const CASH_RECEIPT_LIMIT_PAISE = 2_00_000_00n;

/** Cheques are valid for three months from their date (RBI DBOD.AML.BC.No.47/14.01.001/2011-12, from 1 Apr 2012). */
export const CHEQUE_VALIDITY_MONTHS = 3;

export const ZPayer = z.object({
  name: z.string().trim().min(1, "payer name is required").max(140, "at most 140 characters"),
  vpa: z.string().trim().refine(isValidVpa, "not a UPI address of the form name@psp").optional(),
  accountNumber: z
    .string()
    .trim()
    .regex(/^\d{9,18}$/, "an Indian bank account number has 9 to 18 digits")
    .optional(),
  ifsc: z
    .string()
    .trim()
    .toUpperCase()
    .regex(IFSC_PATTERN, "an IFSC is 4 letters, a zero and 6 letters or digits")
    .optional(),
  bankName: z.string().trim().max(100).optional(),
});
export type Payer = z.infer<typeof ZPayer>;

export const ZCheque = z.object({
  number: z.string().regex(/^\d{6}$/, "a cheque number has 6 digits"),
  date: ZIsoDate,
  drawnOnIfsc: z.string().trim().toUpperCase().regex(IFSC_PATTERN, "not an IFSC").optional(),
});

/** Months after which a cheque dated `chequeDate` can no longer be presented. */
function chequeExpiry(chequeDate: string): string {
  const [year, month, day] = chequeDate.split("-").map(Number) as [number, number, number];
  const targetMonth = month + CHEQUE_VALIDITY_MONTHS;
  const targetYear = year + Math.floor((targetMonth - 1) / 12);
  const normalisedMonth = ((targetMonth - 1) % 12) + 1;
  const lastDay = new Date(Date.UTC(targetYear, normalisedMonth, 0)).getUTCDate();
  const expiryDay = Math.min(day, lastDay);
  return addDays(
    `${targetYear}-${String(normalisedMonth).padStart(2, "0")}-${String(expiryDay).padStart(2, "0")}`,
    -1,
  );
}

export const ZPayment = z
  .object({
    id: z.string().min(1).optional(),
    method: ZPaymentMethod,
    reference: z.string().trim().max(64).nullable().optional(),
    payer: ZPayer,
    customerId: z.string().min(1).optional(),
    receivedOn: ZIsoDate,
    amountPaise: ZPositivePaise,
    currency: z.literal("INR").default("INR"),
    cheque: ZCheque.optional(),
    note: z.string().max(500).optional(),
  })
  .superRefine((payment, context) => {
    const reference = payment.reference ?? undefined;
    if (payment.method !== "cash" && (reference === undefined || reference === "")) {
      context.addIssue({ code: "custom", path: ["reference"], message: `required for ${payment.method}` });
    } else if (reference !== undefined && reference !== "" && !isValidReference(payment.method, reference)) {
      context.addIssue({
        code: "custom",
        path: ["reference"],
        message: describeReferenceFormat(payment.method),
      });
    }
    if (payment.method === "cash" && payment.amountPaise >= CASH_RECEIPT_LIMIT_PAISE) {
      context.addIssue({
        code: "custom",
        path: ["amountPaise"],
        message: "cash receipts of ₹2,00,000 or more are barred by s.269ST of the Income-tax Act",
      });
    }
    if (payment.method === "cheque") {
      if (!payment.cheque) {
        context.addIssue({
          code: "custom",
          path: ["cheque"],
          message: "cheque number and date are required",
        });
      } else if (isIsoDate(payment.cheque.date) && isIsoDate(payment.receivedOn)) {
        if (reference !== undefined && reference !== payment.cheque.number) {
          context.addIssue({ code: "custom", path: ["reference"], message: "must equal the cheque number" });
        }
        if (daysBetween(payment.receivedOn, payment.cheque.date) > 0) {
          context.addIssue({
            code: "custom",
            path: ["cheque", "date"],
            message: "post-dated cheque: it cannot be received as payment before its date",
          });
        } else if (payment.receivedOn > chequeExpiry(payment.cheque.date)) {
          context.addIssue({
            code: "custom",
            path: ["cheque", "date"],
            message: "stale cheque: valid for three months from its date",
          });
        }
      }
    } else if (payment.cheque) {
      context.addIssue({ code: "custom", path: ["cheque"], message: "only for payments by cheque" });
    }
    if (payment.payer.vpa !== undefined && payment.method !== "upi") {
      context.addIssue({
        code: "custom",
        path: ["payer", "vpa"],
        message: "a UPI address belongs to UPI payments",
      });
    }
  })
  .transform((payment) => ({
    ...payment,
    reference:
      payment.reference === undefined || payment.reference === null || payment.reference === ""
        ? null
        : payment.method === "card"
          ? payment.reference
          : normaliseReference(payment.reference),
  }));

export type Payment = z.output<typeof ZPayment>;
export type PaymentInput = z.input<typeof ZPayment>;

/** Validates a payment, throwing INVALID_INPUT that names every bad field. */
export function parsePayment(input: unknown): Payment {
  return parseWith(ZPayment, input);
}
