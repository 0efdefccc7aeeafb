import { describe, expect, it } from "vitest";
import { isAppError } from "../../../kernel/app-error.ts";
import { GSTINS, buildInvoice, buildNote, line } from "../invoice.fixtures.testing.ts";
import { readReferenceCsv, readReferenceJson } from "../reference-data.testing.ts";
import { buildEinvoicePayload, buildNoteEinvoicePayload, paiseToRupees } from "./einvoice.builder.ts";
import { validateEinvoicePayload } from "./einvoice.validator.ts";
import type { EinvoiceViolation } from "./einvoice.validator.ts";

type Json = Record<string, unknown>;

const reference = readReferenceJson("einvoice/india_compliance_test_e_invoice.json") as Record<string, Json>;
const schemaFields = readReferenceCsv("einvoice/einvoice_schema_v1_1_fields.csv");

/**
 * The reference requests carry the placeholder "test_invoice_no" (the test suite swaps in a real number before sending,
 * e.g. SINV-CFY-00067 or g2qxhY as the IRN vectors show); put a real number back before validating.
 */
function requestOf(name: string): Json {
  const request = structuredClone(reference[name]?.request_data) as Json;
  const doc = request.DocDtls as Json;
  doc.No = "SINV-CFY-00067";
  return request;
}

const requestCases = Object.entries(reference)
  .filter(
    ([, value]) =>
      typeof value.request_data === "object" &&
      value.request_data !== null &&
      "Version" in (value.request_data as Json),
  )
  .map(([name]) => name);

function pathsOf(violations: EinvoiceViolation[]): string[] {
  return violations.map((violation) => `${violation.path} ${violation.rule}`);
}

describe("validateEinvoicePayload on the IRP-accepted reference requests", () => {
  it("covers the sandbox cases", () => {
    expect(requestCases).toEqual([
      "goods_item_with_ewaybill",
      "service_item",
      "nil_exempted_item",
      "return_invoice",
      "debit_invoice",
      "foreign_transaction",
      "duplicate_irn",
    ]);
  });

  it.each(requestCases)("%s has no errors", (name) => {
    const violations = validateEinvoicePayload(requestOf(name));
    expect(violations.filter((violation) => violation.severity === "error")).toEqual([]);
    // The sandbox debit note names no preceding invoice; that is only worth a warning.
    expect(pathsOf(violations)).toEqual(
      name === "debit_invoice" ? ["$.RefDtls.PrecDocDtls preceding-document"] : [],
    );
  });

  it("flags the sandbox GSTINs only when check characters are enforced", () => {
    const violations = validateEinvoicePayload(requestOf("goods_item_with_ewaybill"), { strictGstin: true });
    expect(violations.map((violation) => violation.path)).toEqual(
      expect.arrayContaining(["$.SellerDtls.Gstin", "$.BuyerDtls.Gstin"]),
    );
  });
});

describe("schema field rules", () => {
  it("knows every mandatory field of the reference field list", () => {
    const mandatory = schemaFields
      .filter((row) => row.required === "M" && !(row.path ?? "").includes("[]") && row.path !== "ItemList[]")
      .map((row) => row.path ?? "");
    const empty: Json = {
      Version: "1.1",
      TranDtls: {},
      DocDtls: {},
      SellerDtls: {},
      BuyerDtls: {},
      ItemList: [{}],
      ValDtls: {},
    };
    const reported = new Set(
      validateEinvoicePayload(empty)
        .filter((v) => v.rule === "required")
        .map((v) => v.path.replace(/^\$\./, "").replace("[0]", "[]")),
    );
    for (const path of mandatory) {
      if (path === "Version") continue;
      expect(reported, path).toContain(path);
    }
    for (const path of schemaFields
      .filter((row) => row.required === "M" && (row.path ?? "").startsWith("ItemList[]."))
      .map((row) => row.path ?? "")) {
      expect(reported, path).toContain(path);
    }
  });

  it("reports types, lengths, patterns, enumerations, ranges and decimals with JSON paths", () => {
    const request = requestOf("goods_item_with_ewaybill");
    (request.TranDtls as Json).SupTyp = "B2C";
    (request.DocDtls as Json).No = "0INV/1";
    (request.DocDtls as Json).Dt = "2022-09-16";
    (request.SellerDtls as Json).Pin = "171302";
    (request.SellerDtls as Json).Loc = "AB";
    const item = (request.ItemList as Json[])[0] as Json;
    item.HsnCd = "611";
    item.Qty = 1.0005;
    (request.ValDtls as Json).RndOffAmt = 100;
    expect(pathsOf(validateEinvoicePayload(request))).toEqual(
      expect.arrayContaining([
        "$.TranDtls.SupTyp enum",
        "$.DocDtls.No pattern",
        "$.DocDtls.Dt pattern",
        "$.SellerDtls.Pin type",
        "$.SellerDtls.Loc min-length",
        "$.ItemList[0].HsnCd min-length",
        "$.ItemList[0].Qty decimals",
        "$.ValDtls.RndOffAmt maximum",
      ]),
    );
  });

  it("refuses an IRN in the request, forbidden characters and a non-object", () => {
    const request = requestOf("service_item");
    request.Irn = "x";
    (request.BuyerDtls as Json).Addr1 = 'Shop "A" \\ Lane';
    expect(pathsOf(validateEinvoicePayload(request))).toEqual([
      "$.Irn no-irn",
      "$.BuyerDtls.Addr1 forbidden-character",
    ]);
    expect(validateEinvoicePayload([])).toEqual([
      { path: "$", rule: "type", severity: "error", message: "the payload must be a JSON object" },
    ]);
  });
});

describe("business validations", () => {
  it("checks item arithmetic and invoice sums", () => {
    const request = requestOf("goods_item_with_ewaybill");
    const item = (request.ItemList as Json[])[0] as Json;
    item.AssAmt = 99000;
    item.TotItemVal = 118001;
    (request.ValDtls as Json).CgstVal = 9001;
    expect(pathsOf(validateEinvoicePayload(request))).toEqual([
      "$.ItemList[0].AssAmt item-assessable",
      "$.ItemList[0].CgstAmt item-tax",
      "$.ItemList[0].TotItemVal item-total",
      "$.ValDtls.AssVal invoice-sum",
      "$.ValDtls.CgstVal invoice-sum",
      "$.ValDtls.TotInvVal invoice-total",
    ]);
  });

  it("checks tax heads against the place of supply", () => {
    const request = requestOf("goods_item_with_ewaybill");
    (request.BuyerDtls as Json).Pos = "36";
    const violations = validateEinvoicePayload(request);
    expect(pathsOf(violations)).toEqual(["$.ItemList[0].CgstAmt tax-head", "$.ItemList[0].IgstAmt item-tax"]);
    const sez = requestOf("goods_item_with_ewaybill");
    (sez.TranDtls as Json).SupTyp = "SEZWP";
    expect(pathsOf(validateEinvoicePayload(sez))).toContain("$.ItemList[0].CgstAmt tax-head");
  });

  it("checks service codes, goods quantities, unique serials and allowed rates", () => {
    const request = requestOf("goods_item_with_ewaybill");
    const first = (request.ItemList as Json[])[0] as Json;
    const second = { ...first, IsServc: "Y" };
    delete first.Unit;
    first.GstRt = 12;
    first.CgstAmt = 6000;
    first.SgstAmt = 6000;
    first.TotItemVal = 112000;
    (request.ItemList as Json[]).push(second);
    (request.DocDtls as Json).Dt = "01/10/2025";
    const paths = pathsOf(validateEinvoicePayload(request));
    expect(paths).toEqual(
      expect.arrayContaining([
        "$.ItemList[0].Unit goods-quantity",
        "$.ItemList[0].GstRt allowed-rate",
        "$.ItemList[1].SlNo unique-serial",
        "$.ItemList[1].HsnCd service-code",
      ]),
    );
  });

  it("checks exports go to URP with place of supply 96, and accepts zero IGST without payment", () => {
    const request = requestOf("foreign_transaction");
    (request.BuyerDtls as Json).Gstin = "36AMBPG7773M002";
    (request.BuyerDtls as Json).Pos = "02";
    expect(pathsOf(validateEinvoicePayload(request))).toEqual(
      expect.arrayContaining(["$.BuyerDtls.Gstin export-buyer", "$.BuyerDtls.Pos export-pos"]),
    );
  });
});

describe("buildEinvoicePayload", () => {
  it("builds the reference goods invoice the IRP accepted", () => {
    const accepted = requestOf("goods_item_with_ewaybill");
    const invoice = buildInvoice({
      number: "SINV-CFY-00067",
      issueDate: "2022-09-16",
      placeOfSupply: "02",
      supplier: {
        legalName: "_Test Indian Registered Company",
        tradeName: "_Test Indian Registered Company",
        gstin: "02AMBPG7773M002",
        address: { line1: "Test Address - 1", city: "Test City", pinCode: "171302", stateCode: "02" },
      },
      buyer: {
        legalName: "_Test Registered Customer",
        tradeName: "_Test Registered Customer",
        gstin: "36AMBPG7773M002",
        address: { line1: "Test Address - 3", city: "Test City", pinCode: "500055", stateCode: "36" },
      },
      terms: { creditDays: 0 },
      lines: [
        line({
          description: "Test Trading Goods 1",
          hsnSac: "61149090",
          quantity: "1000",
          unit: "NOS",
          unitPricePaise: 100_00n,
        }),
      ],
    });
    const built = buildEinvoicePayload({ invoice }) as unknown as Json;
    expect(validateEinvoicePayload(built)).toEqual([]);
    for (const key of ["Version", "DocDtls", "SellerDtls", "BuyerDtls", "ValDtls", "PayDtls"]) {
      expect(built[key], key).toEqual(accepted[key]);
    }
    expect(built.TranDtls).toEqual({ ...(accepted.TranDtls as Json), IgstOnIntra: "N" });
    expect(built.ItemList).toEqual(accepted.ItemList);
  });

  it("builds the reference credit note with its preceding invoice", () => {
    const accepted = requestOf("return_invoice");
    const parties = {
      placeOfSupply: "02",
      supplier: {
        legalName: "_Test Indian Registered Company",
        gstin: "02AMBPG7773M002",
        address: { line1: "Test Address - 1", city: "Test City", pinCode: "171302", stateCode: "02" },
      },
      buyer: {
        legalName: "_Test Registered Customer",
        gstin: "36AMBPG7773M002",
        address: { line1: "Test Address - 3", city: "Test City", pinCode: "500055", stateCode: "36" },
      },
    };
    const lines = [0, 1].map(() =>
      line({
        description: "Test Trading Goods 1",
        hsnSac: "61149090",
        quantity: "1",
        unitPricePaise: 760n,
        gstRateBasisPoints: 1200,
      }),
    );
    const invoice = buildInvoice({
      ...parties,
      status: "issued",
      number: "SINV-CFY-00092",
      issueDate: "2022-09-17",
      lines,
    });
    const note = buildNote({ number: "SINV-CFY-00067", issueDate: "2022-09-17", lines });
    const built = buildNoteEinvoicePayload({ invoice, note }) as unknown as Json;
    expect(validateEinvoicePayload(built)).toEqual([]);
    expect(built.DocDtls).toEqual({ ...(accepted.DocDtls as Json), Typ: "CRN" });
    expect(built.RefDtls).toEqual(accepted.RefDtls);
    expect(built.ValDtls).toEqual(accepted.ValDtls);
    expect((built.ItemList as Json[]).map((item) => [item.CgstAmt, item.SgstAmt, item.TotItemVal])).toEqual([
      [0.46, 0.46, 8.52],
      [0.45, 0.45, 8.5],
    ]);
  });

  it("builds an export without payment to URP and puts UTGST in the SGST fields", () => {
    const exported = buildEinvoicePayload({
      invoice: buildInvoice({
        supplyType: "EXPWOP",
        placeOfSupply: "96",
        buyer: {
          legalName: "Acme Inc",
          address: { line1: "1 Main St", city: "Austin", stateCode: "96", country: "US" },
        },
        export: {
          countryCode: "US",
          portCode: "INBOM4",
          shippingBillNumber: "1234",
          shippingBillDate: "2025-10-02",
        },
      }),
    });
    expect(exported.BuyerDtls).toMatchObject({ Gstin: "URP", Pos: "96", Stcd: "96", Pin: 999999 });
    expect(exported.ExpDtls).toEqual({
      CntCode: "US",
      ShipBNo: "1234",
      ShipBDt: "02/10/2025",
      Port: "INBOM4",
    });
    expect(exported.ValDtls.IgstVal).toBe(0);
    expect(validateEinvoicePayload(exported)).toEqual([]);

    const chandigarh = buildEinvoicePayload({
      invoice: buildInvoice({
        placeOfSupply: "04",
        supplier: {
          legalName: "Chandigarh Supplier Ltd",
          gstin: GSTINS.chandigarh,
          address: { line1: "Sector 17", city: "Chandigarh", pinCode: "160017", stateCode: "04" },
        },
      }),
    });
    expect(chandigarh.ItemList[0]).toMatchObject({ CgstAmt: 9000, SgstAmt: 9000 });
    expect(chandigarh.ValDtls.SgstVal).toBe(9000);
  });

  it("refuses B2C invoices and lines without the codes the IRP needs, naming each", () => {
    try {
      buildEinvoicePayload({
        invoice: buildInvoice({
          supplyType: "B2C",
          lines: [line({ hsnSac: undefined }), line({ unit: undefined })],
        }),
      });
      expect.unreachable();
    } catch (error) {
      expect(isAppError(error) && error.issues).toEqual([
        { field: "supplyType", reason: "B2C invoices are not reported to the IRP" },
        { field: "lines.0.hsnSac", reason: "the IRP needs an HSN/SAC code of at least 4 digits" },
        { field: "lines.1.unit", reason: "the IRP needs the unit (UQC) of goods" },
      ]);
    }
  });

  it("converts paise to rupees exactly", () => {
    expect([paiseToRupees(11800050n), paiseToRupees(46n), paiseToRupees(0n), paiseToRupees(-2n)]).toEqual([
      118000.5, 0.46, 0, -0.02,
    ]);
  });
});
