/** Masking for logs, messages and screens that must not show a whole personal identifier. */

/** `9876543221` → `98******21`; `+91 98765 43221` → `+91 98******21`. */
export function maskPhone(value: string): string {
  let digits = value.replace(/\D/g, "");
  let country = "";
  if (digits.length === 12 && digits.startsWith("91") && value.trim().startsWith("+")) {
    country = "+91 ";
    digits = digits.slice(2);
  }
  if (digits.length <= 4) return "*".repeat(digits.length);
  return `${country}${digits.slice(0, 2)}${"*".repeat(digits.length - 4)}${digits.slice(-2)}`;
}

/** `ravi@example.com` → `r***@example.com`: the first character of the mailbox and the domain stay. */
export function maskEmail(value: string): string {
  const trimmed = value.trim();
  const at = trimmed.lastIndexOf("@");
  if (at <= 0) return "***";
  return `${trimmed.slice(0, 1)}***${trimmed.slice(at)}`;
}

/** `1234567890` → `XXXXXX7890`: the last four stay, the length is kept, spaces are dropped. */
export function maskAccountNumber(value: string): string {
  const compact = value.replace(/\s/g, "");
  if (compact.length <= 4) return "X".repeat(compact.length);
  return `${"X".repeat(compact.length - 4)}${compact.slice(-4)}`;
}

/** Aadhaar the way UIDAI's masked copy shows it: `XXXX XXXX 1234`. */
export function maskAadhaar(value: string): string {
  const digits = value.replace(/\D/g, "");
  return `XXXX XXXX ${digits.slice(-4).padStart(4, "X")}`;
}

/** Keeps `start` and `end` characters and replaces the rest with `*` (at least three). */
export function maskMiddle(value: string, start = 2, end = 2): string {
  if (value.length <= start + end) return "*".repeat(Math.max(3, value.length));
  return `${value.slice(0, start)}${"*".repeat(Math.max(3, value.length - start - end))}${value.slice(-end)}`;
}
