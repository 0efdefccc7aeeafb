import { describe, expect, it } from "vitest";
import { findLikelyDuplicate, findLikelyDuplicates } from "./duplicate.detector.ts";
import { compareBusinessNames, computeJaroWinkler, normalizeBusinessName } from "./name-similarity.ts";

const existing = [
  { id: "c1", legalName: "Sharma Traders Private Limited", gstin: "27AAPFU0939F1ZV" },
  { id: "c2", legalName: "Gupta Steels", tradeName: "GS Metals", contacts: [{ email: "ap@gupta.example" }] },
  { id: "c3", legalName: "Reliance Industries Limited", pan: "AAACR5055K" },
  { id: "c4", legalName: "Kumar Textiles LLP" },
];

describe("normalizeBusinessName", () => {
  it.each([
    ["Sharma Traders Pvt. Ltd.", "sharma traders", "pvt ltd"],
    ["SHARMA TRADERS PRIVATE LIMITED", "sharma traders", "pvt ltd"],
    ["M/s. Sharma Traders (P) Ltd", "sharma traders", "pvt ltd"],
    ["The A.B.C. Industries Ltd", "abc industries", "ltd"],
    ["Gupta & Sons", "gupta and sons", null],
    ["Patel Engg. Works", "patel engineering works", null],
    ["Shree Balaji Ent.", "shri balaji enterprises", null],
    ["Nova Tech OPC Private Limited", "nova tech", "opc pvt ltd"],
    ["Limited", "limited", null],
    ["Café Déjà Vu LLP", "cafe deja vu", "llp"],
  ])("%s", (name, core, legalForm) => {
    expect(normalizeBusinessName(name)).toMatchObject({ core, legalForm });
  });
});

describe("similarity", () => {
  it("implements Jaro-Winkler", () => {
    expect(computeJaroWinkler({ left: "martha", right: "marhta" })).toBeCloseTo(0.9611, 4);
    expect(computeJaroWinkler({ left: "dixon", right: "dicksonx" })).toBeCloseTo(0.8133, 4);
    expect(computeJaroWinkler({ left: "abc", right: "xyz" })).toBe(0);
    expect(computeJaroWinkler({ left: "", right: "" })).toBe(1);
  });

  it("scores formatting variants as identical and different names low", () => {
    expect(
      compareBusinessNames({ left: "Sharma Traders Pvt. Ltd.", right: "SHARMA TRADERS PRIVATE LIMITED" }),
    ).toBe(1);
    expect(compareBusinessNames({ left: "Gupta Steel", right: "Gupta Steels" })).toBeGreaterThan(0.95);
    expect(compareBusinessNames({ left: "Agarwal Traders", right: "Aggarwal Traders" })).toBeGreaterThan(
      0.95,
    );
    expect(compareBusinessNames({ left: "Reliance Industries", right: "Reliable Industries" })).toBeLessThan(
      0.8,
    );
    expect(compareBusinessNames({ left: "Sharma Traders", right: "Verma Traders" })).toBeLessThan(0.8);
    expect(compareBusinessNames({ left: "Tata Consultancy Services", right: "Infosys" })).toBeLessThan(0.5);
  });

  it("lowers the score when the legal forms differ", () => {
    expect(compareBusinessNames({ left: "Kumar Textiles Pvt Ltd", right: "Kumar Textiles LLP" })).toBe(0.95);
    expect(compareBusinessNames({ left: "Kumar Textiles", right: "Kumar Textiles LLP" })).toBe(1);
  });
});

describe("findLikelyDuplicate", () => {
  it("is certain on the same GSTIN", () => {
    expect(
      findLikelyDuplicate({
        candidate: { legalName: "Totally Different", gstin: "27aapfu0939f1zv" },
        existing,
      }),
    ).toEqual({
      customerId: "c1",
      score: 1,
      certainty: "certain",
      reasons: ["same-gstin", "same-pan"],
      matchedName: "Sharma Traders Private Limited",
    });
  });

  it("is certain on the same PAN, including the PAN inside another state's GSTIN", () => {
    const match = findLikelyDuplicate({
      candidate: { legalName: "Sharma Traders", gstin: "29AAPFU0939F1ZR" },
      existing,
    });
    expect(match).toMatchObject({
      customerId: "c1",
      certainty: "certain",
      reasons: ["same-pan", "similar-name"],
    });
    expect(
      findLikelyDuplicate({ candidate: { legalName: "RIL", pan: "aaacr5055k" }, existing })?.customerId,
    ).toBe("c3");
  });

  it("finds a near-same name with a score below 1", () => {
    const match = findLikelyDuplicate({ candidate: { legalName: "M/s Sharma Traders Pvt. Ltd." }, existing });
    expect(match).toMatchObject({
      customerId: "c1",
      certainty: "likely",
      reasons: ["similar-name"],
      score: 0.99,
    });
  });

  it("matches on trade names and counts a shared contact", () => {
    const match = findLikelyDuplicate({
      candidate: { legalName: "G.S. Metals", contacts: [{ email: "AP@gupta.example" }] },
      existing,
    });
    expect(match?.customerId).toBe("c2");
    expect(match?.reasons).toEqual(["similar-name", "shared-contact"]);
    expect(match?.matchedName).toBe("GS Metals");
  });

  it("returns null for an unrelated name and respects the threshold", () => {
    expect(findLikelyDuplicate({ candidate: { legalName: "Verma Electricals" }, existing })).toBeNull();
    expect(findLikelyDuplicate({ candidate: { legalName: "Reliable Industries Ltd" }, existing })).toBeNull();
    expect(
      findLikelyDuplicate({
        candidate: { legalName: "Balaji Steel" },
        existing: [{ id: "x", legalName: "Balaji Steel Industries" }],
      }),
    ).toBeNull();
    expect(
      findLikelyDuplicate({
        candidate: { legalName: "Balaji Steel" },
        existing: [{ id: "x", legalName: "Balaji Steel Industries" }],
        threshold: 0.8,
      })?.customerId,
    ).toBe("x");
  });

  it("skips the candidate's own record and orders several matches best first", () => {
    expect(
      findLikelyDuplicate({ candidate: { id: "c1", legalName: "Sharma Traders Pvt Ltd" }, existing }),
    ).toBeNull();
    const matches = findLikelyDuplicates({
      candidate: { legalName: "Kumar Textiles Pvt Ltd", gstin: "27AAPFU0939F1ZV" },
      existing,
    });
    expect(matches.map((match) => [match.customerId, match.certainty])).toEqual([
      ["c1", "certain"],
      ["c4", "likely"],
    ]);
  });
});
