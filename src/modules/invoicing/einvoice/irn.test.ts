import { describe, expect, it } from "vitest";
import { isAppError } from "../../../kernel/app-error.ts";
import { readReferenceCsv } from "../reference-data.testing.ts";
import { computeIrn } from "./irn.ts";
import type { EinvoiceDocumentType } from "./irn.ts";

const vectors = readReferenceCsv("einvoice/irn_test_vectors.csv");

/** "16/09/2022" -> "2022-09-16" */
function isoOf(dayMonthYear: string): string {
  const [day, month, year] = dayMonthYear.split("/");
  return `${year}-${month}-${day}`;
}

describe("IRN reference vectors", () => {
  it("reads all five vectors", () => {
    expect(vectors).toHaveLength(5);
  });

  it.each(vectors.map((row) => [row.doc_no, row] as const))("%s from the financial year", (_name, row) => {
    expect(`${row.supplier_gstin}${row.fin_year}${row.doc_type}${row.doc_no}`).toBe(row.hash_input);
    expect(
      computeIrn({
        supplierGstin: row.supplier_gstin ?? "",
        financialYear: row.fin_year ?? "",
        documentType: row.doc_type as EinvoiceDocumentType,
        documentNumber: row.doc_no ?? "",
      }),
    ).toBe(row.irn);
  });

  it.each(vectors.filter((row) => row.doc_date !== "").map((row) => [row.doc_no, row] as const))(
    "%s from the document date",
    (_name, row) => {
      expect(
        computeIrn({
          supplierGstin: row.supplier_gstin ?? "",
          documentDate: isoOf(row.doc_date ?? ""),
          documentType: row.doc_type as EinvoiceDocumentType,
          documentNumber: row.doc_no ?? "",
        }),
      ).toBe(row.irn);
    },
  );

  it("keeps the case of the document number", () => {
    const lower = computeIrn({
      supplierGstin: "01AMBPG7773M002",
      financialYear: "2022-23",
      documentType: "INV",
      documentNumber: "g2qxhY",
    });
    const upper = computeIrn({
      supplierGstin: "01AMBPG7773M002",
      financialYear: "2022-23",
      documentType: "INV",
      documentNumber: "G2QXHY",
    });
    expect(lower).not.toBe(upper);
  });

  it("derives the financial year across March and April", () => {
    const march = computeIrn({
      supplierGstin: "29AAFCC9980M1ZR",
      documentDate: "2020-03-31",
      documentType: "INV",
      documentNumber: "2019-20/KA/1",
    });
    expect(march).toBe("23f498ee41441ecad30f72ba5b9907506c3df70a17b0e0dff46b76a786400662");
    const april = computeIrn({
      supplierGstin: "29AAFCC9980M1ZR",
      documentDate: "2020-04-01",
      documentType: "INV",
      documentNumber: "2019-20/KA/1",
    });
    expect(april).not.toBe(march);
  });

  it("names every bad input", () => {
    try {
      computeIrn({
        supplierGstin: "29aafcc9980m1zr",
        financialYear: "2019-21",
        documentType: "XYZ" as EinvoiceDocumentType,
        documentNumber: "",
      });
      expect.unreachable();
    } catch (error) {
      expect(isAppError(error) && error.issues.map((issue) => issue.field)).toEqual([
        "supplierGstin",
        "documentType",
        "documentNumber",
        "financialYear",
      ]);
    }
  });
});
