import { inflateSync } from "node:zlib";

/**
 * Test helper: pulls the text out of a PDF written by pdfkit, page by page, so tests can check what is printed.
 * It follows each page's font resources to their ToUnicode maps and decodes the hex glyph strings of Tj/TJ operators.
 * Glyphs come out in visual order, so a Devanagari vowel sign drawn before its consonant (ि) is also read first.
 */

interface PdfObject {
  dictionary: string;
  stream: Buffer | null;
}

function readObjects(pdf: Buffer): Map<number, PdfObject> {
  const text = pdf.toString("latin1");
  const objects = new Map<number, PdfObject>();
  for (const match of text.matchAll(/(\d+) 0 obj\s*([\s\S]*?)endobj/g)) {
    const body = match[2] ?? "";
    const streamAt = body.indexOf("stream");
    if (streamAt < 0) {
      objects.set(Number(match[1]), { dictionary: body, stream: null });
      continue;
    }
    const dictionary = body.slice(0, streamAt);
    let data = body.slice(streamAt + "stream".length);
    data = data.replace(/^\r?\n/, "");
    data = data.slice(0, data.lastIndexOf("endstream")).replace(/\r?\n$/, "");
    let bytes = Buffer.from(data, "latin1");
    if (dictionary.includes("/FlateDecode")) bytes = inflateSync(bytes);
    objects.set(Number(match[1]), { dictionary, stream: bytes });
  }
  return objects;
}

function utf16(text: string): string {
  const hex = text.replace(/\s+/g, "");
  const units: number[] = [];
  for (let index = 0; index < hex.length; index += 4) units.push(parseInt(hex.slice(index, index + 4), 16));
  return String.fromCharCode(...units);
}

function parseCMap(source: string): Map<number, string> {
  const map = new Map<number, string>();
  for (const block of source.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const entry of (block[1] ?? "").matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F\s]*)>/g)) {
      map.set(parseInt(entry[1] ?? "0", 16), utf16(entry[2] ?? ""));
    }
  }
  for (const block of source.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    const body = block[1] ?? "";
    for (const entry of body.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(\[[^\]]*\]|<[0-9a-fA-F]+>)/g)) {
      const start = parseInt(entry[1] ?? "0", 16);
      const end = parseInt(entry[2] ?? "0", 16);
      const target = entry[3] ?? "";
      if (target.startsWith("[")) {
        const values = [...target.matchAll(/<([0-9a-fA-F\s]*)>/g)].map((value) => utf16(value[1] ?? ""));
        for (let code = start; code <= end; code += 1) map.set(code, values[code - start] ?? "");
      } else {
        const base = parseInt(target.slice(1, -1), 16);
        for (let code = start; code <= end; code += 1)
          map.set(code, String.fromCharCode(base + code - start));
      }
    }
  }
  return map;
}

function reference(dictionary: string, key: string): number | null {
  const match = new RegExp(`/${key}\\s+(\\d+) 0 R`).exec(dictionary);
  return match ? Number(match[1]) : null;
}

/** The text of every page, in page order; lines of the content stream are separated by "\n". */
export function extractPdfPages(pdf: Buffer): string[] {
  const objects = readObjects(pdf);
  const pages = [...objects.entries()]
    .filter(([, object]) => /\/Type\s*\/Page\b/.test(object.dictionary))
    .sort(([a], [b]) => a - b);
  const catalogOrder = [...objects.values()]
    .map((object) => /\/Type\s*\/Pages[\s\S]*?\/Kids\s*\[([^\]]*)\]/.exec(object.dictionary)?.[1])
    .find((kids) => kids !== undefined);
  const order =
    catalogOrder === undefined
      ? pages.map(([id]) => id)
      : [...catalogOrder.matchAll(/(\d+) 0 R/g)].map((m) => Number(m[1]));
  return order.map((pageId) => {
    const page = objects.get(pageId);
    if (page === undefined) return "";
    const resourcesId = reference(page.dictionary, "Resources");
    const resources = resourcesId === null ? page.dictionary : (objects.get(resourcesId)?.dictionary ?? "");
    const fontBlock = /\/Font\s*<<([\s\S]*?)>>/.exec(resources)?.[1] ?? "";
    const fonts = new Map<string, Map<number, string>>();
    for (const entry of fontBlock.matchAll(/\/(\w+)\s+(\d+) 0 R/g)) {
      const font = objects.get(Number(entry[2]));
      const cmapId = font === undefined ? null : reference(font.dictionary, "ToUnicode");
      const cmap = cmapId === null ? undefined : objects.get(cmapId)?.stream;
      fonts.set(
        entry[1] ?? "",
        cmap === undefined || cmap === null ? new Map<number, string>() : parseCMap(cmap.toString("latin1")),
      );
    }
    const contentsId = reference(page.dictionary, "Contents");
    const content = contentsId === null ? "" : (objects.get(contentsId)?.stream?.toString("latin1") ?? "");
    const lines: string[] = [];
    let current = new Map<number, string>();
    for (const block of content.matchAll(/BT([\s\S]*?)ET/g)) {
      let line = "";
      for (const token of (block[1] ?? "").matchAll(
        /\/(\w+)\s+[\d.]+\s+Tf|\[((?:[^\]])*)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj/g,
      )) {
        if (token[1] !== undefined) {
          current = fonts.get(token[1]) ?? new Map<number, string>();
          continue;
        }
        const hexes =
          token[2] !== undefined
            ? [...token[2].matchAll(/<([0-9a-fA-F]*)>/g)].map((m) => m[1] ?? "")
            : [token[3] ?? ""];
        for (const hex of hexes) {
          for (let index = 0; index + 4 <= hex.length; index += 4)
            line += current.get(parseInt(hex.slice(index, index + 4), 16)) ?? "\uFFFD";
        }
      }
      lines.push(line);
    }
    return lines.join("\n");
  });
}
