export interface JsonChange {
  path: string;
  change: "added" | "removed" | "changed";
  before?: unknown;
  after?: unknown;
}

const escapePointerSegment = (segment: string) => segment.replace(/~/g, "~0").replace(/\//g, "~1");

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The differences between two JSON documents, each at its JSON pointer, in document order. */
export function diffJson(before: unknown, after: unknown, path = ""): JsonChange[] {
  if (Array.isArray(before) && Array.isArray(after)) {
    const changes: JsonChange[] = [];
    const length = Math.max(before.length, after.length);
    for (let index = 0; index < length; index += 1) {
      const at = `${path}/${index}`;
      if (index >= after.length) changes.push({ path: at, change: "removed", before: before[index] });
      else if (index >= before.length) changes.push({ path: at, change: "added", after: after[index] });
      else changes.push(...diffJson(before[index], after[index], at));
    }
    return changes;
  }
  if (isObject(before) && isObject(after)) {
    const changes: JsonChange[] = [];
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    for (const key of keys) {
      const at = `${path}/${escapePointerSegment(key)}`;
      if (!(key in after)) changes.push({ path: at, change: "removed", before: before[key] });
      else if (!(key in before)) changes.push({ path: at, change: "added", after: after[key] });
      else changes.push(...diffJson(before[key], after[key], at));
    }
    return changes;
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ path: path || "/", change: "changed", before, after }];
}
