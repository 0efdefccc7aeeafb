import QRCode from "qrcode";
import { AppError } from "../../kernel/app-error.ts";
import { parseUpiLink } from "./upi-link.ts";

export type UpiQrFormat = "png" | "svg";

/**
 * Renders a UPI link as a QR code (PNG bytes or SVG text). The link is checked first, so a QR is never printed for
 * a link a payer's app would refuse. Error correction M (15%) survives printing and phone cameras well.
 */
export async function renderUpiQr(options: {
  link: string;
  format: UpiQrFormat;
  widthPx?: number;
}): Promise<Buffer | string> {
  const parsed = parseUpiLink(options.link);
  if (parsed.issues.length > 0)
    throw AppError.invalidInput(parsed.issues.map((issue) => ({ ...issue, field: `link.${issue.field}` })));
  const width = options.widthPx ?? 320;
  if (!Number.isInteger(width) || width < 64 || width > 2048) {
    throw AppError.invalidInput([
      { field: "widthPx", reason: "must be a whole number of pixels from 64 to 2048" },
    ]);
  }
  const common = { errorCorrectionLevel: "M" as const, margin: 4, width };
  if (options.format === "png") return QRCode.toBuffer(options.link, { ...common, type: "png" });
  return QRCode.toString(options.link, { ...common, type: "svg" });
}

/** The text a QR for `link` encodes (for tests and previews): the bytes of its segments. */
export function readQrPayload(link: string): string {
  const code = QRCode.create(link, { errorCorrectionLevel: "M" });
  return code.segments
    .map((segment) =>
      segment.data instanceof Uint8Array ? Buffer.from(segment.data).toString("utf8") : String(segment.data),
    )
    .join("");
}
