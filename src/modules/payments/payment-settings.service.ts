import { AppError } from "../../kernel/app-error.ts";
import type { FieldCipher } from "../../platform/crypto/field.cipher.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import { isValidVpa } from "./payment.schema.ts";
import type { GatewayProvider } from "./payment-gateway.port.ts";
import type { PaymentsDb } from "./payments.tables.ts";
import type { GatewayCredentialsInput, SettingsInput } from "./payments.schemas.ts";
import { createUnitOfWork, type PaymentsDeps, type UnitOfWork } from "./payments.unit-of-work.ts";
import { money, type SettingsView } from "./payments.views.ts";
import { DEFAULT_SHORT_PAYMENT_TOLERANCE, type ShortPaymentTolerance } from "./short-payment.policy.ts";
import type { PayeeKind } from "./tds-rates.data.ts";

/** A tenant's settlement settings, with the defaults where nothing was saved. */
export interface PaymentSettings {
  tolerance: ShortPaymentTolerance;
  autoApplyThreshold: number;
  payeeKind: PayeeKind;
  upiVpa?: string;
  upiPayeeName?: string;
  tdsGraceDays: number;
}

export const DEFAULT_PAYMENT_SETTINGS: PaymentSettings = {
  tolerance: DEFAULT_SHORT_PAYMENT_TOLERANCE,
  autoApplyThreshold: 0.9,
  payeeKind: "other",
  tdsGraceDays: 0,
};

export async function readSettings(trx: PaymentsDb): Promise<PaymentSettings> {
  const row = await trx.selectFrom("payment_settings").selectAll().executeTakeFirst();
  if (!row) return DEFAULT_PAYMENT_SETTINGS;
  return {
    tolerance: {
      maxPaise: row.short_payment_max_paise,
      maxBasisPoints: row.short_payment_max_basis_points,
      combine: row.short_payment_combine === "higher" ? "higher" : "lower",
    },
    autoApplyThreshold: Number(row.auto_apply_threshold),
    payeeKind: row.payee_kind === "individual-or-huf" ? "individual-or-huf" : "other",
    ...(row.upi_vpa ? { upiVpa: row.upi_vpa } : {}),
    ...(row.upi_payee_name ? { upiPayeeName: row.upi_payee_name } : {}),
    tdsGraceDays: row.tds_grace_days,
  };
}

export interface GatewayCredentials {
  provider: GatewayProvider;
  keyId: string;
  keySecret: string;
  webhookSecret: string;
}

const PLAIN = "plain:";

function sealer(cipher: FieldCipher | undefined) {
  const context = (tenantId: string, provider: string, field: string) =>
    `payment_gateway_credentials.${field}:${tenantId}:${provider}`;
  return {
    seal: (tenantId: string, provider: string, field: string, value: string): string =>
      cipher ? cipher.encrypt(value, context(tenantId, provider, field)) : `${PLAIN}${value}`,
    open: (tenantId: string, provider: string, field: string, stored: string): string => {
      if (stored.startsWith(PLAIN)) return stored.slice(PLAIN.length);
      if (!cipher) {
        throw new AppError({
          code: "UNAVAILABLE",
          message: "the gateway secrets are encrypted but no encryption key is configured in this process",
        });
      }
      return cipher.decrypt(stored, context(tenantId, provider, field));
    },
  };
}

/** The tenant's credentials for a gateway, decrypted; undefined when none are saved. */
export async function readGatewayCredentials(
  trx: PaymentsDb,
  options: { tenantId: string; provider: GatewayProvider; cipher?: FieldCipher },
): Promise<GatewayCredentials | undefined> {
  const row = await trx
    .selectFrom("payment_gateway_credentials")
    .selectAll()
    .where("provider", "=", options.provider)
    .executeTakeFirst();
  if (!row) return undefined;
  const { open } = sealer(options.cipher);
  return {
    provider: options.provider,
    keyId: row.key_id,
    keySecret: open(options.tenantId, options.provider, "key_secret", row.key_secret),
    webhookSecret: open(options.tenantId, options.provider, "webhook_secret", row.webhook_secret),
  };
}

export type PaymentSettingsService = ReturnType<typeof createPaymentSettingsService>;

/** Settlement settings and gateway credentials of a tenant. */
export function createPaymentSettingsService(
  deps: PaymentsDeps,
  unitOfWork: UnitOfWork = createUnitOfWork(deps),
) {
  const { inTenant, command, audit, clock } = unitOfWork;

  async function view(trx: PaymentsDb): Promise<SettingsView> {
    const settings = await readSettings(trx);
    const gateways = await trx
      .selectFrom("payment_gateway_credentials")
      .select(["provider", "key_id", "key_secret"])
      .orderBy("provider")
      .execute();
    return {
      shortPaymentTolerance: {
        maxPaise: money(settings.tolerance.maxPaise),
        maxBasisPoints: settings.tolerance.maxBasisPoints,
        combine: settings.tolerance.combine,
      },
      autoApplyThreshold: settings.autoApplyThreshold,
      payeeKind: settings.payeeKind,
      upiVpa: settings.upiVpa ?? null,
      upiPayeeName: settings.upiPayeeName ?? null,
      tdsGraceDays: settings.tdsGraceDays,
      gateways: gateways.map((row) => ({
        provider: row.provider as GatewayProvider,
        keyId: row.key_id,
        secretsEncrypted: !row.key_secret.startsWith(PLAIN),
      })),
    };
  }

  return {
    get: (tenantId: string): Promise<SettingsView> => inTenant(tenantId, view),

    update(meta: CommandMeta, input: SettingsInput): Promise<SettingsView> {
      return command(meta, "payments.update-settings", input, async (trx) => {
        if (input.upiVpa && !isValidVpa(input.upiVpa)) {
          throw AppError.invalidInput([
            { field: "upiVpa", reason: "not a UPI address of the form name@psp" },
          ]);
        }
        const before = await readSettings(trx);
        const tolerance = input.shortPaymentTolerance ?? before.tolerance;
        const values = {
          short_payment_max_paise: tolerance.maxPaise,
          short_payment_max_basis_points: tolerance.maxBasisPoints,
          short_payment_combine: tolerance.combine,
          auto_apply_threshold: String(input.autoApplyThreshold ?? before.autoApplyThreshold),
          payee_kind: input.payeeKind ?? before.payeeKind,
          upi_vpa: input.upiVpa === undefined ? (before.upiVpa ?? null) : input.upiVpa,
          upi_payee_name:
            input.upiPayeeName === undefined ? (before.upiPayeeName ?? null) : input.upiPayeeName,
          tds_grace_days: input.tdsGraceDays ?? before.tdsGraceDays,
          updated_at: clock(),
          updated_by: meta.actor,
        };
        await trx
          .insertInto("payment_settings")
          .values({ tenant_id: meta.tenantId, ...values })
          .onConflict((conflict) => conflict.column("tenant_id").doUpdateSet(values))
          .execute();
        const after = await view(trx);
        await audit(trx, meta, {
          action: "payment.settings-changed",
          entity: { type: "payment-settings", id: meta.tenantId },
          before: {
            ...before,
            tolerance: { ...before.tolerance, maxPaise: money(before.tolerance.maxPaise) },
          },
          after: { ...after, gateways: undefined },
        });
        return after;
      });
    },

    /** Saves a gateway's API key and webhook secret (encrypted when the module has a cipher). */
    setGatewayCredentials(meta: CommandMeta, input: GatewayCredentialsInput): Promise<SettingsView> {
      const request = { provider: input.provider, keyId: input.keyId };
      return command(meta, "payments.set-gateway-credentials", request, async (trx) => {
        const { seal } = sealer(deps.cipher);
        const values = {
          key_id: input.keyId,
          key_secret: seal(meta.tenantId, input.provider, "key_secret", input.keySecret),
          webhook_secret: seal(meta.tenantId, input.provider, "webhook_secret", input.webhookSecret),
          updated_at: clock(),
          updated_by: meta.actor,
        };
        await trx
          .insertInto("payment_gateway_credentials")
          .values({ tenant_id: meta.tenantId, provider: input.provider, ...values })
          .onConflict((conflict) => conflict.columns(["tenant_id", "provider"]).doUpdateSet(values))
          .execute();
        await audit(trx, meta, {
          action: "payment.gateway-credentials-changed",
          entity: { type: "payment-gateway", id: input.provider },
          after: { provider: input.provider, keyId: input.keyId },
        });
        return view(trx);
      });
    },
  };
}
