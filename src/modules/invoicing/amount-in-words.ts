import { AppError } from "../../kernel/app-error.ts";
import type { Paise } from "../../kernel/money.ts";

/**
 * Amounts in words in the Indian numbering system (thousand, lakh = 1,00,000, crore = 1,00,00,000), as printed on
 * tax invoices: "Rupees One Lakh Eighteen Thousand Only", "रुपये एक लाख अठारह हज़ार मात्र". Amounts of a hundred crore
 * and more keep counting in crores ("One Thousand Two Hundred Crore"), as Indian usage does.
 */
export type WordsLanguage = "en" | "hi";

const ENGLISH_UNITS = [
  "Zero",
  "One",
  "Two",
  "Three",
  "Four",
  "Five",
  "Six",
  "Seven",
  "Eight",
  "Nine",
  "Ten",
  "Eleven",
  "Twelve",
  "Thirteen",
  "Fourteen",
  "Fifteen",
  "Sixteen",
  "Seventeen",
  "Eighteen",
  "Nineteen",
];
const ENGLISH_TENS = ["", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety"];

/** Hindi numerals 0-99 are irregular words, so each has its own entry. */
const HINDI_0_TO_99 = [
  "शून्य", "एक", "दो", "तीन", "चार", "पाँच", "छह", "सात", "आठ", "नौ",
  "दस", "ग्यारह", "बारह", "तेरह", "चौदह", "पंद्रह", "सोलह", "सत्रह", "अठारह", "उन्नीस",
  "बीस", "इक्कीस", "बाईस", "तेईस", "चौबीस", "पच्चीस", "छब्बीस", "सत्ताईस", "अट्ठाईस", "उनतीस",
  "तीस", "इकतीस", "बत्तीस", "तैंतीस", "चौंतीस", "पैंतीस", "छत्तीस", "सैंतीस", "अड़तीस", "उनतालीस",
  "चालीस", "इकतालीस", "बयालीस", "तैंतालीस", "चवालीस", "पैंतालीस", "छियालीस", "सैंतालीस", "अड़तालीस", "उनचास",
  "पचास", "इक्यावन", "बावन", "तिरपन", "चौवन", "पचपन", "छप्पन", "सत्तावन", "अट्ठावन", "उनसठ",
  "साठ", "इकसठ", "बासठ", "तिरसठ", "चौंसठ", "पैंसठ", "छियासठ", "सड़सठ", "अड़सठ", "उनहत्तर",
  "सत्तर", "इकहत्तर", "बहत्तर", "तिहत्तर", "चौहत्तर", "पचहत्तर", "छिहत्तर", "सतहत्तर", "अठहत्तर", "उन्यासी",
  "अस्सी", "इक्यासी", "बयासी", "तिरासी", "चौरासी", "पचासी", "छियासी", "सत्तासी", "अट्ठासी", "नवासी",
  "नब्बे", "इक्यानबे", "बानबे", "तिरानबे", "चौरानबे", "पचानबे", "छियानबे", "सत्तानबे", "अट्ठानबे", "निन्यानबे",
]; // prettier-ignore

interface Vocabulary {
  below100(value: number): string;
  hundred: string;
  thousand: string;
  lakh: string;
  crore: string;
}

const ENGLISH: Vocabulary = {
  below100: (value) => {
    if (value < 20) return ENGLISH_UNITS[value] ?? "";
    const tens = ENGLISH_TENS[Math.floor(value / 10)] ?? "";
    return value % 10 === 0 ? tens : `${tens} ${ENGLISH_UNITS[value % 10] ?? ""}`;
  },
  hundred: "Hundred",
  thousand: "Thousand",
  lakh: "Lakh",
  crore: "Crore",
};

const HINDI: Vocabulary = {
  below100: (value) => HINDI_0_TO_99[value] ?? "",
  hundred: "सौ",
  thousand: "हज़ार",
  lakh: "लाख",
  crore: "करोड़",
};

/** Words of a positive whole number in Indian grouping; "" for zero. */
function indianWords(value: bigint, words: Vocabulary): string {
  if (value === 0n) return "";
  const parts: string[] = [];
  const crores = value / 1_00_00_000n;
  let rest = value % 1_00_00_000n;
  if (crores > 0n) parts.push(`${indianWords(crores, words)} ${words.crore}`);
  const groups: Array<[bigint, string]> = [
    [1_00_000n, words.lakh],
    [1_000n, words.thousand],
    [100n, words.hundred],
  ];
  for (const [size, name] of groups) {
    const count = rest / size;
    rest %= size;
    if (count > 0n) parts.push(`${words.below100(Number(count))} ${name}`);
  }
  if (rest > 0n) parts.push(words.below100(Number(rest)));
  return parts.join(" ");
}

/** A whole number in words: 118000n -> "One Lakh Eighteen Thousand" / "एक लाख अठारह हज़ार". */
export function numberToIndianWords(options: { value: bigint; language: WordsLanguage }): string {
  if (options.value < 0n) throw AppError.invalidInput([{ field: "value", reason: "must not be negative" }]);
  const words = options.language === "hi" ? HINDI : ENGLISH;
  return options.value === 0n ? words.below100(0) : indianWords(options.value, words);
}

/**
 * An amount of money in words, with paise when there are any:
 * en: "Rupees One Thousand Two Hundred Thirty Four and Fifty Paise Only"; paise alone: "Fifty Paise Only".
 * hi: "रुपये एक हज़ार दो सौ चौंतीस और पचास पैसे मात्र"; paise alone: "पचास पैसे मात्र".
 * A negative amount (a credit) is prefixed "Minus" / "ऋण".
 */
export function amountInWords(options: { paise: Paise; language: WordsLanguage }): string {
  const { language } = options;
  const negative = options.paise < 0n;
  const magnitude = negative ? -options.paise : options.paise;
  const rupees = magnitude / 100n;
  const paise = magnitude % 100n;
  const hindi = language === "hi";
  const rupeeText = numberToIndianWords({ value: rupees, language });
  const paiseText = numberToIndianWords({ value: paise, language });
  let text: string;
  if (paise === 0n) text = hindi ? `रुपये ${rupeeText}` : `Rupees ${rupeeText}`;
  else if (rupees === 0n) text = hindi ? `${paiseText} पैसे` : `${paiseText} Paise`;
  else text = hindi ? `रुपये ${rupeeText} और ${paiseText} पैसे` : `Rupees ${rupeeText} and ${paiseText} Paise`;
  const sign = negative ? (hindi ? "ऋण " : "Minus ") : "";
  return `${sign}${text} ${hindi ? "मात्र" : "Only"}`;
}
