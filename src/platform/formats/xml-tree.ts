import { XMLParser, XMLValidator } from "fast-xml-parser";
import { AppError } from "../../kernel/app-error.ts";

/** An XML element as read here: children by name (always arrays), attributes as "@_name", text as "#text". */
export type XmlNode = { [name: string]: XmlNode[] | string | undefined };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  alwaysCreateTextNode: true,
  processEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (_name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute,
});

/**
 * Parses XML into a uniform tree. Documents with a DOCTYPE are refused (no entity expansion attacks); malformed XML
 * is INVALID_INPUT with the line and column of the first error.
 */
export function readXml(text: string, what: string): XmlNode {
  if (/<!DOCTYPE/i.test(text))
    throw AppError.invalidInput([{ field: "file", reason: `${what}: a DOCTYPE is not allowed` }]);
  const validation = XMLValidator.validate(text);
  if (validation !== true) {
    const { line, col, msg } = validation.err;
    throw AppError.invalidInput([
      { field: `rows.${line}`, reason: `${what}: not well-formed XML at column ${col}: ${msg}` },
    ]);
  }
  try {
    return parser.parse(text) as XmlNode;
  } catch (error) {
    throw AppError.invalidInput([
      {
        field: "file",
        reason: `${what}: unreadable XML (${error instanceof Error ? error.message : "unknown error"})`,
      },
    ]);
  }
}

export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  const value = node?.[name];
  return Array.isArray(value) ? value : [];
}

export function child(node: XmlNode | undefined, ...path: string[]): XmlNode | undefined {
  let current = node;
  for (const name of path) {
    current = children(current, name)[0];
    if (!current) return undefined;
  }
  return current;
}

/** Trimmed text of the element at `path`, or undefined when absent or empty. */
export function textAt(node: XmlNode | undefined, ...path: string[]): string | undefined {
  const target = path.length === 0 ? node : child(node, ...path);
  const value = target?.["#text"];
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

export function attribute(node: XmlNode | undefined, name: string): string | undefined {
  const value = node?.[`@_${name}`];
  return typeof value === "string" ? value : undefined;
}

/** Texts of all elements named `name` under `node`. */
export function textsOf(node: XmlNode | undefined, name: string): string[] {
  return children(node, name)
    .map((item) => textAt(item))
    .filter((item): item is string => item !== undefined);
}
