import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import semver from "semver";
import { AppError } from "../../kernel/app-error.ts";
import { withTenant } from "../../platform/db/database.ts";
import type { DB } from "../../platform/db/schema.ts";
import type { OrchestrationTables } from "../store/orchestration.tables.ts";
import { diffJson, type JsonChange } from "./json-diff.ts";

export type HubDatabase = Kysely<DB & OrchestrationTables>;

/** What the registry needs from the DSL layer: a full validation of a document's text. */
export interface DocumentValidation {
  ok: boolean;
  workflow?: { document: { namespace: string; name: string; version: string } };
  errors: { path: string; message: string }[];
  warnings: { path: string; message: string }[];
}

export interface DefinitionRegistryDeps {
  db: Kysely<DB>;
  validate(text: string): DocumentValidation;
  /** Features the runtime refuses to execute; publishing a definition that uses one is refused. */
  unsupportedFeatures(workflow: unknown): string[];
}

export interface DefinitionSummary {
  namespace: string;
  name: string;
  version: string;
  current: boolean;
  deprecated: boolean;
  publishedAt: Date;
  publishedBy: string;
  checksum: string;
}

export interface DefinitionRecord extends DefinitionSummary {
  document: Record<string, unknown>;
  source: string;
}

export interface DefinitionRef {
  tenantId: string;
  namespace: string;
  name: string;
}

export function createDefinitionRegistry(deps: DefinitionRegistryDeps) {
  const inTenant = <T>(tenantId: string, work: (trx: HubDatabase) => Promise<T>) =>
    withTenant(deps.db, tenantId, (trx) => work(trx.withTables<OrchestrationTables>()));

  async function headVersion(trx: HubDatabase, ref: DefinitionRef): Promise<string | undefined> {
    const head = await trx
      .selectFrom("workflow_definition_heads")
      .select("current_version")
      .where("namespace", "=", ref.namespace)
      .where("name", "=", ref.name)
      .executeTakeFirst();
    return head?.current_version;
  }

  async function loadVersion(trx: HubDatabase, ref: DefinitionRef, version: string) {
    const row = await trx
      .selectFrom("workflow_definitions")
      .selectAll()
      .where("namespace", "=", ref.namespace)
      .where("name", "=", ref.name)
      .where("version", "=", version)
      .executeTakeFirst();
    if (!row) throw AppError.notFound("workflow definition", `${ref.namespace}/${ref.name}@${version}`);
    return row;
  }

  function toRecord(
    row: Awaited<ReturnType<typeof loadVersion>>,
    current: string | undefined,
  ): DefinitionRecord {
    return {
      namespace: row.namespace,
      name: row.name,
      version: row.version,
      current: row.version === current,
      deprecated: row.deprecated_at !== null,
      publishedAt: row.published_at,
      publishedBy: row.published_by,
      checksum: row.checksum,
      document: row.document as Record<string, unknown>,
      source: row.source,
    };
  }

  return {
    /**
     * Publishes a definition: only a valid one (every error is returned at once, each with its JSON pointer),
     * with a semantic version above every published version of the same namespace/name. Publishing the same
     * version with the same text again returns it unchanged.
     */
    async publish(input: { tenantId: string; source: string; publishedBy: string }) {
      const validation = deps.validate(input.source);
      if (!validation.ok || !validation.workflow) {
        throw AppError.invalidInput(
          validation.errors.map((error) => ({ field: error.path, reason: error.message })),
          `the workflow definition is invalid (${validation.errors.length} error${validation.errors.length === 1 ? "" : "s"})`,
        );
      }
      const unsupported = deps.unsupportedFeatures(validation.workflow);
      if (unsupported.length > 0) {
        throw new AppError({
          code: "NOT_SUPPORTED",
          message: unsupported.map((feature) => `not supported by this runtime: ${feature}`).join("; "),
          details: { features: unsupported },
        });
      }
      const { namespace, name, version } = validation.workflow.document;
      if (!semver.valid(version)) {
        throw AppError.invalidInput([
          { field: "/document/version", reason: `"${version}" is not a semantic version` },
        ]);
      }
      const checksum = createHash("sha256").update(input.source).digest("hex");
      return inTenant(input.tenantId, async (trx) => {
        // Serialise publishes of one definition so two publishers cannot both pass the version check.
        await trx
          .selectFrom("workflow_definition_heads")
          .select("revision")
          .where("namespace", "=", namespace)
          .where("name", "=", name)
          .forUpdate()
          .execute();
        const existing = await trx
          .selectFrom("workflow_definitions")
          .select(["version", "checksum"])
          .where("namespace", "=", namespace)
          .where("name", "=", name)
          .execute();
        const same = existing.find((row) => row.version === version);
        if (same) {
          if (same.checksum === checksum) {
            return { namespace, name, version, created: false, warnings: validation.warnings };
          }
          throw AppError.conflict(
            `${namespace}/${name}@${version} is already published with different content; publish a new version`,
            { namespace, name, version },
          );
        }
        const highest = existing.map((row) => row.version).sort(semver.rcompare)[0];
        if (highest && semver.lte(version, highest)) {
          throw AppError.conflict(
            `version ${version} of ${namespace}/${name} must be above the highest published version ${highest}; ` +
              `to make an older version current, roll back to it`,
            { namespace, name, version, highest },
          );
        }
        await trx
          .insertInto("workflow_definitions")
          .values({
            tenant_id: input.tenantId,
            namespace,
            name,
            version,
            document: JSON.stringify(validation.workflow),
            source: input.source,
            checksum,
            published_by: input.publishedBy,
          })
          .execute();
        await trx
          .insertInto("workflow_definition_heads")
          .values({ tenant_id: input.tenantId, namespace, name, current_version: version })
          .onConflict((conflict) =>
            conflict.columns(["tenant_id", "namespace", "name"]).doUpdateSet((eb) => ({
              current_version: version,
              updated_at: new Date(),
              revision: eb("workflow_definition_heads.revision", "+", 1),
            })),
          )
          .execute();
        return { namespace, name, version, created: true, warnings: validation.warnings };
      });
    },

    async list(input: { tenantId: string; namespace?: string; name?: string }): Promise<DefinitionSummary[]> {
      return inTenant(input.tenantId, async (trx) => {
        let query = trx
          .selectFrom("workflow_definitions as d")
          .leftJoin("workflow_definition_heads as h", (join) =>
            join.onRef("h.namespace", "=", "d.namespace").onRef("h.name", "=", "d.name"),
          )
          .select([
            "d.namespace",
            "d.name",
            "d.version",
            "d.deprecated_at",
            "d.published_at",
            "d.published_by",
            "d.checksum",
            "h.current_version",
          ]);
        if (input.namespace) query = query.where("d.namespace", "=", input.namespace);
        if (input.name) query = query.where("d.name", "=", input.name);
        const rows = await query.execute();
        return rows
          .map((row) => ({
            namespace: row.namespace,
            name: row.name,
            version: row.version,
            current: row.version === row.current_version,
            deprecated: row.deprecated_at !== null,
            publishedAt: row.published_at,
            publishedBy: row.published_by,
            checksum: row.checksum,
          }))
          .sort(
            (a, b) =>
              a.namespace.localeCompare(b.namespace) ||
              a.name.localeCompare(b.name) ||
              semver.rcompare(a.version, b.version),
          );
      });
    },

    /** One version, or the current one when no version is given. */
    async get(input: DefinitionRef & { version?: string }): Promise<DefinitionRecord> {
      return inTenant(input.tenantId, async (trx) => {
        const current = await headVersion(trx, input);
        const version = input.version ?? current;
        if (!version) throw AppError.notFound("workflow definition", `${input.namespace}/${input.name}`);
        return toRecord(await loadVersion(trx, input, version), current);
      });
    },

    async diff(input: DefinitionRef & { from: string; to: string }): Promise<JsonChange[]> {
      return inTenant(input.tenantId, async (trx) => {
        const [from, to] = await Promise.all([
          loadVersion(trx, input, input.from),
          loadVersion(trx, input, input.to),
        ]);
        return diffJson(from.document, to.document);
      });
    },

    /** A deprecated version starts no new instances; running ones go on. The current version cannot be deprecated. */
    async deprecate(input: DefinitionRef & { version: string }): Promise<void> {
      await inTenant(input.tenantId, async (trx) => {
        await loadVersion(trx, input, input.version);
        if ((await headVersion(trx, input)) === input.version) {
          throw AppError.conflict(
            `${input.namespace}/${input.name}@${input.version} is the current version; publish or roll back to another one first`,
          );
        }
        await trx
          .updateTable("workflow_definitions")
          .set({ deprecated_at: new Date() })
          .where("namespace", "=", input.namespace)
          .where("name", "=", input.name)
          .where("version", "=", input.version)
          .where("deprecated_at", "is", null)
          .execute();
      });
    },

    /** Makes an earlier (not deprecated) version the one new instances use. */
    async rollback(input: DefinitionRef & { toVersion: string }): Promise<void> {
      await inTenant(input.tenantId, async (trx) => {
        const target = await loadVersion(trx, input, input.toVersion);
        if (target.deprecated_at) {
          throw AppError.conflict(
            `${input.namespace}/${input.name}@${input.toVersion} is deprecated and cannot become current`,
          );
        }
        await trx
          .updateTable("workflow_definition_heads")
          .set((eb) => ({
            current_version: input.toVersion,
            updated_at: new Date(),
            revision: eb("revision", "+", 1),
          }))
          .where("namespace", "=", input.namespace)
          .where("name", "=", input.name)
          .execute();
      });
    },

    /** The version a new instance must use: the given one (if usable) or the current one. */
    async resolveForStart(input: DefinitionRef & { version?: string }): Promise<DefinitionRecord> {
      const record = await this.get(input);
      if (record.deprecated) {
        throw AppError.conflict(
          `${input.namespace}/${input.name}@${record.version} is deprecated; start the current version`,
        );
      }
      return record;
    },
  };
}

export type DefinitionRegistry = ReturnType<typeof createDefinitionRegistry>;
