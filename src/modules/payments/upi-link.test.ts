import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sharedPath } from "../../../test/support/shared-path.ts";
import { AppError } from "../../kernel/app-error.ts";
import { parseRupees } from "../../kernel/money.ts";
import { buildUpiLink, encodeUpiValue, parseUpiLink } from "./upi-link.ts";
import { readQrPayload, renderUpiQr } from "./upi-qr.ts";

function readCsv(path: string): Array<Record<string, string>> {
  const lines = readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"));
  const header = (lines.shift() ?? "").split(",");
  return lines.map((line) => {
    const cells: string[] = [];
    let current = "";
    let quoted = false;
    for (const char of line) {
      if (char === '"') quoted = !quoted;
      else if (char === "," && !quoted) {
        cells.push(current);
        current = "";
      } else current += char;
    }
    cells.push(current);
    return Object.fromEntries(header.map((name, index) => [name, cells[index] ?? ""]));
  });
}

const examples = readCsv(sharedPath("reference/india/ids/upi_link_examples.csv"));
const example = (id: string): string => examples.find((row) => row.id === id)?.link ?? "";

describe("buildUpiLink", () => {
  it("reproduces the published upi_link sample exactly (E2)", () => {
    expect(
      buildUpiLink({
        payeeVpa: "chaipoint@okaxis",
        payeeName: "Chai Point",
        amountPaise: parseRupees("149.50"),
        transactionNote: "Order 42",
        transactionReference: "ORD-42",
      }),
    ).toBe(example("E2"));
  });

  it("formats the amount with two decimals and percent-encodes invoice numbers and Indian text", () => {
    const link = buildUpiLink({
      payeeVpa: "acme.infra@okhdfcbank",
      payeeName: "Acme Infra & Sons",
      amountPaise: parseRupees("1,16,000"),
      transactionReference: "INV/2025-26/0042",
      transactionNote: "भुगतान INV 42",
    });
    expect(link).toBe(
      "upi://pay?pa=acme.infra@okhdfcbank&pn=Acme%20Infra%20%26%20Sons&am=116000.00&cu=INR&tn=%E0%A4%AD%E0%A5%81%E0%A4%97%E0%A4%A4%E0%A4%BE%E0%A4%A8%20INV%2042&tr=INV%2F2025-26%2F0042",
    );
    const parsed = parseUpiLink(link);
    expect(parsed).toMatchObject({
      payeeName: "Acme Infra & Sons",
      amountPaise: parseRupees("116000"),
      transactionReference: "INV/2025-26/0042",
      transactionNote: "भुगतान INV 42",
      issues: [],
    });
  });

  it("refuses a bad address, a long note, a zero amount and a minimum above the amount, naming each field", () => {
    try {
      buildUpiLink({
        payeeVpa: "not-a-vpa",
        payeeName: "",
        amountPaise: 0n,
        transactionNote: "x".repeat(51),
        merchantCode: "12",
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).issues.map((issue) => issue.field).sort()).toEqual(
        ["amountPaise", "merchantCode", "payeeName", "payeeVpa", "transactionNote"].sort(),
      );
    }
    expect(() =>
      buildUpiLink({ payeeVpa: "a.b@upi", payeeName: "A", amountPaise: 100n, minimumAmountPaise: 200n }),
    ).toThrow(/must not exceed/);
  });

  it("round-trips through the parser for any note, reference and amount", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 50 }).filter((text) => text.trim().length > 0),
        fc.string({ minLength: 1, maxLength: 35 }).filter((text) => text.trim().length > 0),
        fc.bigInt({ min: 1n, max: 10_000_000_00n }),
        (note, reference, amount) => {
          const link = buildUpiLink({
            payeeVpa: "shop@ybl",
            payeeName: "Shop",
            amountPaise: amount,
            transactionNote: note,
            transactionReference: reference,
          });
          expect(link).not.toMatch(/[ +]/);
          const parsed = parseUpiLink(link);
          expect(parsed.issues).toEqual([]);
          expect(parsed.amountPaise).toBe(amount);
          expect(parsed.transactionNote).toBe(note.trim());
          expect(parsed.transactionReference).toBe(reference.trim());
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("parseUpiLink on the published examples", () => {
  it("E1 (NPCI sample): all fields read, 'mam=null' reported", () => {
    const parsed = parseUpiLink(example("E1"));
    expect(parsed).toMatchObject({
      scheme: "upi",
      payeeVpa: "nadeem@npci",
      payeeName: "nadeem chinna",
      merchantCode: "0000",
      transactionId: "cxnkjcnkjdfdvjndkjfvn",
      transactionReference: "4894398cndhcd23",
      transactionNote: "Pay to mystar store",
      amountPaise: 1000n,
      currency: "INR",
      url: "https://mystar.com/orderid=9298yw89e8973e87389e78923ue892",
    });
    expect(parsed.issues).toEqual([
      { field: "mam", reason: '"null" is not a positive amount in rupees with at most two decimals' },
    ]);
  });

  it("E2 and E3 are valid; E3 uses the gpay scheme and an encoded @", () => {
    expect(parseUpiLink(example("E2")).issues).toEqual([]);
    const e3 = parseUpiLink(example("E3"));
    expect(e3).toMatchObject({
      scheme: "gpay",
      payeeVpa: "merchant@pspbank",
      amountPaise: 500000n,
      merchantCode: "621",
      issues: [],
    });
  });

  it("E4 lacks the mandatory payee name", () => {
    const e4 = parseUpiLink(example("E4"));
    expect(e4.issues).toEqual([{ field: "pn", reason: "payee name is mandatory" }]);
    expect(e4.amountPaise).toBe(49900n);
  });

  it("reports garbage instead of throwing", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const parsed = parseUpiLink(`upi://pay?${text}`);
        expect(Array.isArray(parsed.issues)).toBe(true);
        expect(parseUpiLink(text).issues.length).toBeGreaterThan(0);
      }),
    );
    expect(parseUpiLink("upi://pay?pa=a%ZZ@x&pn=A").issues[0]).toEqual({
      field: "pa",
      reason: "malformed percent-encoding",
    });
  });

  it("encodes spaces as %20 and never as +", () => {
    expect(encodeUpiValue("a b+c")).toBe("a%20b%2Bc");
  });
});

describe("renderUpiQr", () => {
  const link = example("E2");

  it("renders PNG and SVG that carry exactly the link", async () => {
    const png = await renderUpiQr({ link, format: "png" });
    expect(Buffer.isBuffer(png)).toBe(true);
    expect((png as Buffer).subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
    const svg = await renderUpiQr({ link, format: "svg" });
    expect(svg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(readQrPayload(link)).toBe(link);
  });

  it("refuses to render an invalid link or size", async () => {
    await expect(renderUpiQr({ link: example("E4"), format: "png" })).rejects.toThrow(/link\.pn/);
    await expect(renderUpiQr({ link, format: "png", widthPx: 10 })).rejects.toThrow(AppError);
  });
});
