import { describe, expect, it } from "vitest";
import { checkPhoneNumber, normalizePhoneNumber } from "./phone-number.ts";
import { checkTan } from "./tan.ts";
import { checkUdyamNumber, normalizeUdyamNumber } from "./udyam-number.ts";

describe("TAN", () => {
  it.each([
    ["DELA12345B", []],
    [" pnes12345a ", []],
    ["DELA1234B", ["a TAN has 10 characters, got 9"]],
    ["DEL123456B", ["a TAN is four letters, five digits and one letter (e.g. DELA12345B)"]],
    ["DELA00000B", ["the serial number of a TAN may not be 00000"]],
  ])("%s", (input, reasons) => {
    expect(checkTan(input).map((issue) => issue.reason)).toEqual(reasons);
  });
});

describe("Udyam number", () => {
  it("normalises separators and case", () => {
    expect(normalizeUdyamNumber("udyam mh 19 0067990")).toBe("UDYAM-MH-19-0067990");
    expect(checkUdyamNumber("UDYAM–MH–19–0067990")).toEqual([]);
  });

  it.each([
    "UDYAM-MH-19-006799",
    "UDYAM-M1-19-0067990",
    "UAM-MH-19-0067990",
    "UDYAM-MH-19-0000000",
    "UDYAM-MH-1-0067990",
  ])("refuses %s", (input) => {
    expect(checkUdyamNumber(input, "msme.udyamNumber")[0]?.field).toBe("msme.udyamNumber");
  });
});

describe("phone numbers", () => {
  it.each([
    ["+91 98765-43210", "+919876543210"],
    ["098765 43210", "+919876543210"],
    ["9876543210", "+919876543210"],
    ["919876543210", "+919876543210"],
    ["0091 98765 43210", "+919876543210"],
    ["(020) 2567-1234", "+912025671234"],
    ["+1 (512) 555-0100", "+15125550100"],
  ])("%s -> %s", (input, expected) => {
    expect(normalizePhoneNumber(input)).toBe(expected);
    expect(checkPhoneNumber(input)).toEqual([]);
  });

  it("names the problem", () => {
    expect(checkPhoneNumber("12345")[0]?.reason).toContain("not a phone number in E.164 form");
    expect(checkPhoneNumber("+91 0987654321")[0]?.reason).toBe(
      "an Indian number has 10 digits after +91 and does not start with 0",
    );
    expect(checkPhoneNumber("+91 2025671234", { use: "mobile", field: "whatsapp" })).toEqual([
      { field: "whatsapp", reason: "an Indian mobile number starts with 6, 7, 8 or 9 after +91" },
    ]);
  });
});
