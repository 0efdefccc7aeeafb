import { z } from "zod";
import { listQuerySchema, pageSchema } from "../../platform/http/pagination.ts";
import type { HttpServer } from "../../platform/http/server.ts";
import type { RouteContext } from "../../platform/modules/module.contract.ts";
import { PAYMENT_SORT_FIELDS } from "./payment.service.ts";
import {
  PAYMENTS_PERMISSIONS,
  ZAllocateBody,
  ZGatewayCredentialsInput,
  ZId,
  ZRecordPaymentInput,
  ZRegisterPayerInput,
  ZRegisterReceivableInput,
  ZReverseBody,
  ZSettingsInput,
  ZUndoAllocationBody,
} from "./payments.schemas.ts";
import type { PaymentsServices } from "./payments.services.ts";
import {
  ZAllocateResult,
  ZCustomerCreditView,
  ZPayerProfileView,
  ZPaymentDetailView,
  ZPaymentView,
  ZReceivableView,
  ZRecordPaymentResult,
  ZRegisterReceivableResult,
  ZReverseResult,
  ZSettingsView,
  ZUndoAllocationResult,
} from "./payments.views.ts";
import { requestMeta, tenantOf } from "./route-helpers.ts";

const BASE = "/api/v1/payments";
const TAGS = ["payments"];

/** HTTP routes of receipts, receivables, payers, customer credit and settlement settings. */
export function registerPaymentRoutes(
  app: HttpServer,
  context: RouteContext,
  services: PaymentsServices,
): void {
  const { payments, settings } = services;
  const read = context.guard(PAYMENTS_PERMISSIONS.read);
  const write = context.guard(PAYMENTS_PERMISSIONS.write);

  app.get(
    BASE,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "List receipts",
        querystring: listQuerySchema(PAYMENT_SORT_FIELDS).extend({
          customerId: ZId.optional(),
          status: z.enum(["received", "reversed", "bounced"]).optional(),
        }),
        response: { 200: pageSchema(ZPaymentView) },
      },
    },
    (request) => payments.list(tenantOf(context, request), request.query),
  );

  app.post(
    BASE,
    {
      preHandler: write,
      schema: {
        tags: TAGS,
        summary: "Record a receipt (and allocate it at once when asked)",
        description: "Money is paise as a string of digits. A UTR or RRN is recorded once per business.",
        body: ZRecordPaymentInput,
        response: { 201: ZRecordPaymentResult },
      },
    },
    async (request, reply) => {
      const result = await payments.record(requestMeta(context, request), request.body);
      void reply.header("location", `${BASE}/${result.payment.id}`);
      return reply.status(201).send(result);
    },
  );

  app.get(
    `${BASE}/:paymentId`,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "A receipt with its allocations",
        params: z.object({ paymentId: ZId }),
        response: { 200: ZPaymentDetailView },
      },
    },
    (request) => payments.get(tenantOf(context, request), request.params.paymentId),
  );

  app.post(
    `${BASE}/:paymentId/allocations`,
    {
      preHandler: write,
      schema: {
        tags: TAGS,
        summary: "Allocate a receipt to invoices (cash, income-tax TDS, GST TDS, write-off per invoice)",
        params: z.object({ paymentId: ZId }),
        body: ZAllocateBody,
        response: { 201: ZAllocateResult },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const result = await payments.allocate(requestMeta(context, request), {
        paymentId: request.params.paymentId,
        ...(body.customerId ? { customerId: body.customerId } : {}),
        ...(body.lines ? { lines: body.lines } : {}),
        ...(body.auto ? { auto: body.auto } : {}),
        ...(body.date ? { date: body.date } : {}),
      });
      return reply.status(201).send(result);
    },
  );

  app.post(
    `${BASE}/:paymentId/reversal`,
    {
      preHandler: write,
      schema: {
        tags: TAGS,
        summary: "Reverse a receipt (bounced cheque, chargeback, refund, entered in error)",
        params: z.object({ paymentId: ZId }),
        body: ZReverseBody,
        response: { 200: ZReverseResult },
      },
    },
    (request) =>
      payments.reverse(requestMeta(context, request), {
        paymentId: request.params.paymentId,
        ...request.body,
      }),
  );

  app.post(
    `${BASE}/:paymentId/allocations/:allocationId/undo`,
    {
      preHandler: write,
      schema: {
        tags: TAGS,
        summary: "Undo one allocation of a receipt",
        description:
          "The invoice reopens by what the allocation settled, its cash returns to the customer's credit and its TDS entries are cancelled; the receipt and its other allocations stand.",
        params: z.object({ paymentId: ZId, allocationId: ZId }),
        body: ZUndoAllocationBody,
        response: { 200: ZUndoAllocationResult },
      },
    },
    (request) =>
      payments.undoAllocation(requestMeta(context, request), {
        paymentId: request.params.paymentId,
        allocationId: request.params.allocationId,
        ...request.body,
      }),
  );

  app.get(
    `${BASE}/receivables`,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "Open and settled invoices as payments knows them",
        querystring: listQuerySchema(["dueDate"] as const).extend({
          customerId: ZId.optional(),
          open: z.enum(["true", "false"]).optional(),
        }),
        response: { 200: pageSchema(ZReceivableView) },
      },
    },
    (request) =>
      payments.listReceivables(tenantOf(context, request), {
        limit: request.query.limit,
        cursor: request.query.cursor,
        customerId: request.query.customerId,
        openOnly: request.query.open === "true",
      }),
  );

  app.get(
    `${BASE}/receivables/:invoiceId`,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "One receivable",
        params: z.object({ invoiceId: ZId }),
        response: { 200: ZReceivableView },
      },
    },
    (request) => payments.getReceivable(tenantOf(context, request), request.params.invoiceId),
  );

  app.put(
    `${BASE}/receivables/:invoiceId`,
    {
      preHandler: write,
      schema: {
        tags: TAGS,
        summary: "Register or update an invoice payments should settle",
        params: z.object({ invoiceId: ZId }),
        body: ZRegisterReceivableInput.omit({ invoiceId: true }),
        response: { 200: ZRegisterReceivableResult },
      },
    },
    (request) =>
      payments.registerReceivable(requestMeta(context, request), {
        ...request.body,
        invoiceId: request.params.invoiceId,
      }),
  );

  app.put(
    `${BASE}/payers/:customerId`,
    {
      preHandler: write,
      schema: {
        tags: TAGS,
        summary: "How a customer's money is recognised: names, UPI addresses, accounts, TDS profile",
        params: z.object({ customerId: ZId }),
        body: ZRegisterPayerInput.omit({ customerId: true }),
        response: { 200: ZPayerProfileView },
      },
    },
    (request) =>
      payments.registerPayer(requestMeta(context, request), {
        ...request.body,
        customerId: request.params.customerId,
      }),
  );

  app.get(
    `${BASE}/customers/:customerId/credit`,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "A customer's unallocated cash",
        params: z.object({ customerId: ZId }),
        response: { 200: ZCustomerCreditView },
      },
    },
    (request) => payments.customerCredit(tenantOf(context, request), request.params.customerId),
  );

  app.get(
    `${BASE}/settings`,
    {
      preHandler: read,
      schema: { tags: TAGS, summary: "Settlement settings", response: { 200: ZSettingsView } },
    },
    (request) => settings.get(tenantOf(context, request)),
  );

  app.put(
    `${BASE}/settings`,
    {
      preHandler: write,
      schema: {
        tags: TAGS,
        summary: "Change the short-payment tolerance, auto-apply threshold, UPI payee or TDS grace days",
        body: ZSettingsInput,
        response: { 200: ZSettingsView },
      },
    },
    (request) => settings.update(requestMeta(context, request), request.body),
  );

  app.put(
    `${BASE}/settings/gateways/:provider`,
    {
      preHandler: write,
      schema: {
        tags: TAGS,
        summary: "Save a gateway's API key and webhook secret",
        params: z.object({ provider: z.enum(["razorpay", "cashfree"]) }),
        body: ZGatewayCredentialsInput.omit({ provider: true }),
        response: { 200: ZSettingsView },
      },
    },
    (request) =>
      settings.setGatewayCredentials(requestMeta(context, request), {
        ...request.body,
        provider: request.params.provider,
      }),
  );
}
