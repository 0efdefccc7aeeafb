import { describe, expect, it } from "vitest";
import { maskAadhaar, maskAccountNumber, maskEmail, maskMiddle, maskPhone } from "./masking.ts";

describe("masking", () => {
  it("masks phone numbers keeping two digits at each end", () => {
    expect(maskPhone("9876543221")).toBe("98******21");
    expect(maskPhone("+91 98765 43221")).toBe("+91 98******21");
    expect(maskPhone("123")).toBe("***");
  });

  it("masks emails keeping the first character and the domain", () => {
    expect(maskEmail("ravi@example.com")).toBe("r***@example.com");
    expect(maskEmail("r@example.com")).toBe("r***@example.com");
    expect(maskEmail("not-an-email")).toBe("***");
  });

  it("masks account numbers keeping the last four and the length", () => {
    expect(maskAccountNumber("5010001234")).toBe("XXXXXX1234");
    expect(maskAccountNumber("5010 0012 3456 78")).toBe("XXXXXXXXXX5678");
    expect(maskAccountNumber("12")).toBe("XX");
  });

  it("masks Aadhaar as UIDAI's masked copy does, and any value in the middle", () => {
    expect(maskAadhaar("2345 6789 0123")).toBe("XXXX XXXX 0123");
    expect(maskMiddle("ABCDE1234F")).toBe("AB******4F");
    expect(maskMiddle("abc")).toBe("***");
  });
});
