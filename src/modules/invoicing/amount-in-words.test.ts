import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { amountInWords, numberToIndianWords } from "./amount-in-words.ts";

describe("amountInWords in English", () => {
  it.each([
    [1_18_000_00n, "Rupees One Lakh Eighteen Thousand Only"],
    [1_234_50n, "Rupees One Thousand Two Hundred Thirty Four and Fifty Paise Only"],
    [50n, "Fifty Paise Only"],
    [0n, "Rupees Zero Only"],
    [1_00n, "Rupees One Only"],
    [100_00n, "Rupees One Hundred Only"],
    [10_01_00n, "Rupees One Thousand One Only"],
    [
      99_99_999_99n,
      "Rupees Ninety Nine Lakh Ninety Nine Thousand Nine Hundred Ninety Nine and Ninety Nine Paise Only",
    ],
    [1_00_00_000_00n, "Rupees One Crore Only"],
    [2_15_236_00n, "Rupees Two Lakh Fifteen Thousand Two Hundred Thirty Six Only"],
    [
      12_34_56_789_01n,
      "Rupees Twelve Crore Thirty Four Lakh Fifty Six Thousand Seven Hundred Eighty Nine and One Paise Only",
    ],
    [1200_00_00_000_00n, "Rupees One Thousand Two Hundred Crore Only"],
    [-17_00n, "Minus Rupees Seventeen Only"],
  ])("%s paise", (paise, words) => {
    expect(amountInWords({ paise, language: "en" })).toBe(words);
  });
});

describe("amountInWords in Hindi", () => {
  it.each([
    [1_18_000_00n, "रुपये एक लाख अठारह हज़ार मात्र"],
    [1_234_50n, "रुपये एक हज़ार दो सौ चौंतीस और पचास पैसे मात्र"],
    [50n, "पचास पैसे मात्र"],
    [0n, "रुपये शून्य मात्र"],
    [99_00n, "रुपये निन्यानबे मात्र"],
    [1_00_00_000_00n, "रुपये एक करोड़ मात्र"],
    [45_67_890_05n, "रुपये पैंतालीस लाख सड़सठ हज़ार आठ सौ नब्बे और पाँच पैसे मात्र"],
    [-17_00n, "ऋण रुपये सत्रह मात्र"],
  ])("%s paise", (paise, words) => {
    expect(amountInWords({ paise, language: "hi" })).toBe(words);
  });

  it("has a distinct word for every number below one hundred", () => {
    const words = Array.from({ length: 100 }, (_, value) =>
      numberToIndianWords({ value: BigInt(value), language: "hi" }),
    );
    expect(new Set(words).size).toBe(100);
    expect(words.every((word) => /^[\u0900-\u097F]+$/.test(word))).toBe(true);
  });
});

describe("numberToIndianWords", () => {
  it("refuses negative numbers", () => {
    expect(() => numberToIndianWords({ value: -1n, language: "en" })).toThrow("must not be negative");
  });

  it("uses each group word at most once below a hundred crore", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 99_99_99_999n }), (value) => {
        const words = numberToIndianWords({ value, language: "en" }).split(" ");
        for (const group of ["Crore", "Lakh", "Thousand", "Hundred"]) {
          expect(words.filter((word) => word === group).length).toBeLessThanOrEqual(1);
        }
        expect(words).not.toContain("Zero");
      }),
    );
  });
});
