import type { TenantRole } from "../db/schema.ts";

/** Everything a person or an integration may be allowed to do inside a tenant. */
export const PERMISSIONS = [
  "customers:read",
  "customers:write",
  "invoices:read",
  "invoices:write",
  "invoices:issue",
  "payments:read",
  "payments:write",
  "reconciliation:review",
  "imports:run",
  "workflows:read",
  "workflows:publish",
  /** Start, suspend, resume, cancel and retry instances, and send them events. */
  "workflows:operate",
  /** Set, list (names only) and delete the secrets workflows read as `$secrets`. */
  "workflows:secrets",
  "audit:read",
  "users:manage",
  "settings:manage",
  "api-keys:manage",
  /** Make another member the owner; the one thing an admin cannot do. */
  "ownership:transfer",
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = [
  "owner",
  "admin",
  "collector",
  "accountant",
  "viewer",
  "auditor",
] as const satisfies readonly TenantRole[];

const READ_BUSINESS_DATA: readonly Permission[] = [
  "customers:read",
  "invoices:read",
  "payments:read",
  "workflows:read",
];

/**
 * The role → permission matrix. Why each role holds what it holds:
 * - owner: the business itself; everything, including handing the business to someone else.
 * - admin: runs Prapti for the owner; everything except transferring ownership.
 * - collector: follows up with customers and records what they pay; keeps contact details current and
 *   operates follow-up workflows, but neither raises invoices nor touches settings, people or keys.
 * - accountant: keeps the books: invoices (draft, issue), payments, reconciliation, imports, and the customer
 *   master data (GSTIN, PAN, addresses) that correct invoices depend on; reads workflows without running them.
 * - viewer: reads business data, changes nothing.
 * - auditor: a viewer who may also read the audit log (a statutory or internal auditor).
 */
const MATRIX: Record<TenantRole, readonly Permission[]> = {
  owner: PERMISSIONS,
  admin: PERMISSIONS.filter((permission) => permission !== "ownership:transfer"),
  collector: [...READ_BUSINESS_DATA, "customers:write", "payments:write", "workflows:operate"],
  accountant: [
    ...READ_BUSINESS_DATA,
    "customers:write",
    "invoices:write",
    "invoices:issue",
    "payments:write",
    "reconciliation:review",
    "imports:run",
  ],
  viewer: READ_BUSINESS_DATA,
  auditor: [...READ_BUSINESS_DATA, "audit:read"],
};

const SETS = new Map<TenantRole, ReadonlySet<Permission>>(ROLES.map((role) => [role, new Set(MATRIX[role])]));

/** Whether a member with this role may do this. */
export function can(role: TenantRole, permission: Permission): boolean {
  return SETS.get(role)?.has(permission) ?? false;
}

/** The role's permissions, in the order of PERMISSIONS. */
export function permissionsOf(role: TenantRole): Permission[] {
  const granted = SETS.get(role);
  return PERMISSIONS.filter((permission) => granted?.has(permission) ?? false);
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

export function isRole(value: string): value is TenantRole {
  return (ROLES as readonly string[]).includes(value);
}

/**
 * Permissions an API key may never carry: keys serve integrations (accounting sync, bank feeds), which have
 * no business managing people, minting further keys or giving the business away.
 */
export const API_KEY_EXCLUDED_PERMISSIONS: readonly Permission[] = [
  "users:manage",
  "api-keys:manage",
  "ownership:transfer",
  "workflows:secrets",
];
