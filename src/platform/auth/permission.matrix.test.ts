import { describe, expect, it } from "vitest";
import type { TenantRole } from "../db/schema.ts";
import {
  can,
  isPermission,
  PERMISSIONS,
  permissionsOf,
  ROLES,
  type Permission,
} from "./permission.matrix.ts";

/** The matrix written out by hand: a change to a role's rights must change this table too. */
const EXPECTED: Record<Permission, Record<TenantRole, boolean>> = {
  // permission                 owner  admin  collector accountant viewer auditor
  "customers:read": row(1, 1, 1, 1, 1, 1),
  "customers:write": row(1, 1, 1, 1, 0, 0),
  "invoices:read": row(1, 1, 1, 1, 1, 1),
  "invoices:write": row(1, 1, 0, 1, 0, 0),
  "invoices:issue": row(1, 1, 0, 1, 0, 0),
  "payments:read": row(1, 1, 1, 1, 1, 1),
  "payments:write": row(1, 1, 1, 1, 0, 0),
  "reconciliation:review": row(1, 1, 0, 1, 0, 0),
  "imports:run": row(1, 1, 0, 1, 0, 0),
  "workflows:read": row(1, 1, 1, 1, 1, 1),
  "workflows:publish": row(1, 1, 0, 0, 0, 0),
  "workflows:operate": row(1, 1, 1, 0, 0, 0),
  "workflows:secrets": row(1, 1, 0, 0, 0, 0),
  "audit:read": row(1, 1, 0, 0, 0, 1),
  "users:manage": row(1, 1, 0, 0, 0, 0),
  "settings:manage": row(1, 1, 0, 0, 0, 0),
  "api-keys:manage": row(1, 1, 0, 0, 0, 0),
  "ownership:transfer": row(1, 0, 0, 0, 0, 0),
};

function row(...flags: number[]): Record<TenantRole, boolean> {
  return Object.fromEntries(ROLES.map((role, index) => [role, flags[index] === 1])) as Record<
    TenantRole,
    boolean
  >;
}

describe("permission matrix", () => {
  it("covers every permission", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...PERMISSIONS].sort());
  });

  it.each(ROLES)("grants %s exactly its column of the table", (role) => {
    for (const permission of PERMISSIONS) {
      expect({ permission, granted: can(role, permission) }).toEqual({
        permission,
        granted: EXPECTED[permission][role],
      });
    }
    expect(permissionsOf(role)).toEqual(PERMISSIONS.filter((permission) => EXPECTED[permission][role]));
  });

  it("gives the owner everything and the admin everything but ownership transfer", () => {
    expect(permissionsOf("owner")).toEqual([...PERMISSIONS]);
    expect(PERMISSIONS.filter((permission) => !can("admin", permission))).toEqual(["ownership:transfer"]);
  });

  it("lets no role but owner, admin and auditor read the audit log, and no read-only role write", () => {
    expect(ROLES.filter((role) => can(role, "audit:read"))).toEqual(["owner", "admin", "auditor"]);
    for (const role of ["viewer", "auditor"] as const) {
      expect(permissionsOf(role).filter((permission) => !permission.endsWith(":read"))).toEqual([]);
    }
  });

  it("knows its permission names", () => {
    expect(isPermission("invoices:issue")).toBe(true);
    expect(isPermission("invoices:delete")).toBe(false);
    expect(can("owner", "invoices:delete" as Permission)).toBe(false);
  });
});
