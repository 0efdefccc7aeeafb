import { randomUUID } from "node:crypto";
import type { ApiHarness, OpenApiOperation } from "./api-harness.ts";

/** Ids of one tenant's objects, created through the API by its owner, to fill path parameters with. */
export interface TenantObjects {
  customerId: string;
  invoiceId: string;
  receivableInvoiceId: string;
  paymentId: string;
  allocationId: string;
  bankAccountId: string;
  statementId: string;
  proposalId: string;
  linkId: string;
  apiKeyId: string;
  importRunId: string;
  instanceId: string;
  workflowNamespace: string;
  workflowName: string;
}

export const CUSTOMER_PROFILE = {
  legalName: "Joshi Packaging Private Limited",
  gstin: "27AAKPJ4321H1ZU",
  stateCode: "27",
  billingAddress: { line1: "9 Wagle Estate", city: "Thane", pinCode: "400604", stateCode: "27" },
  contacts: [
    {
      name: "Meera Joshi",
      email: "meera@joshipack.example",
      phone: "+919867012345",
      whatsapp: "9867012345",
      isPrimary: true,
    },
  ],
  preferredLanguage: "hi",
};

const WORKFLOW_SOURCE = (namespace: string, name: string) =>
  [
    "document:",
    "  dsl: '1.0.0'",
    `  namespace: ${namespace}`,
    `  name: ${name}`,
    "  version: '1.0.0'",
    "do:",
    "  - pause:",
    "      wait:",
    "        hours: 1",
  ].join("\n");

export function invoiceDraft(customerId: string, number: string) {
  return {
    number,
    issueDate: "2025-10-01",
    supplyType: "B2B",
    placeOfSupply: "27",
    supplier: {
      legalName: "Kulkarni Fasteners Private Limited",
      gstin: "27AAPFU0939F1ZV",
      address: { line1: "Plot 7, MIDC Bhosari", city: "Pune", pinCode: "411026", stateCode: "27" },
    },
    buyer: {
      customerId,
      legalName: "Joshi Packaging Private Limited",
      gstin: "27AAKPJ4321H1ZU",
      address: { line1: "9 Wagle Estate", city: "Thane", pinCode: "400604", stateCode: "27" },
    },
    lines: [
      {
        description: "Hex bolts M12 x 50",
        hsnSac: "73181500",
        quantity: "100",
        unit: "NOS",
        unitPricePaise: "100000",
        gstRateBasisPoints: 1800,
      },
    ],
    terms: { creditDays: 30, agreedInWriting: true },
  };
}

async function expectStatus(
  what: string,
  response: Promise<{ status: number; text: string; json<T>(): T }>,
  statuses: number[],
) {
  const answered = await response;
  if (!statuses.includes(answered.status)) {
    throw new Error(`${what} answered ${answered.status}: ${answered.text.slice(0, 500)}`);
  }
  return answered;
}

/** Creates one of every object the API's path parameters name, as the tenant's owner. */
export async function createTenantObjects(
  harness: ApiHarness,
  tenant: { tokens: { owner: string } },
  tag: string,
): Promise<TenantObjects> {
  const token = tenant.tokens.owner;
  const post = (path: string, body: unknown, method = "POST") => harness.call({ method, path, token, body });

  const customer = await expectStatus("customer", post("/api/v1/customers", CUSTOMER_PROFILE), [201]);
  const customerId = customer.json<{ customer: { id: string } }>().customer.id;

  const invoice = await expectStatus(
    "invoice",
    post("/api/v1/invoices", invoiceDraft(customerId, `KF/${tag}/001`)),
    [201],
  );
  const invoiceId = invoice.json<{ id?: string; invoice?: { id: string } }>();
  const draftId = invoiceId.invoice?.id ?? invoiceId.id ?? "";

  const receivableInvoiceId = randomUUID();
  await expectStatus(
    "receivable",
    post(
      `/api/v1/payments/receivables/${receivableInvoiceId}`,
      {
        invoiceNumber: `INV/${tag}/0101`,
        customerId,
        customerName: "Joshi Packaging",
        issueDate: "2025-08-01",
        dueDate: "2025-08-31",
        totalPaise: "4500000",
        taxableValuePaise: "4500000",
      },
      "PUT",
    ),
    [200, 201],
  );
  await expectStatus(
    "payer",
    post(`/api/v1/payments/payers/${customerId}`, { name: "Joshi Packaging" }, "PUT"),
    [200, 201],
  );
  const payment = await expectStatus(
    "payment",
    post("/api/v1/payments", {
      customerId,
      method: "imps",
      reference: tag === "A" ? "523400001111" : "523400002222",
      payer: { name: "Joshi Packaging", accountNumber: "50100012345678", ifsc: "HDFC0000123" },
      receivedOn: "2025-08-19",
      amountPaise: "100000",
      allocations: [{ invoiceId: receivableInvoiceId, cashPaise: "100000" }],
    }),
    [201],
  );
  const paymentJson = payment.json<{ payment: { id: string; allocations: { id?: string }[] } }>().payment;
  const paymentId = paymentJson.id;
  const allocationId = paymentJson.allocations[0]?.id;
  if (allocationId === undefined) throw new Error(`the payment has no allocation id: ${payment.text}`);

  const account = await expectStatus(
    "bank account",
    post("/api/v1/reconciliation/bank-accounts", { name: "SBI current", accountIdentifier: "30012345678" }),
    [201],
  );
  const bankAccountId = account.json<{ id: string }>().id;
  const content = [
    ":20:STMT",
    ":25:30012345678",
    ":28C:1/1",
    ":60F:C250819INR0,00",
    ":61:2508200820C45000,00NTRFNONREF",
    `:86:NEFT CR-SBIN0000300-JOSHI PACKAGING-INV/${tag}/0101`,
    ":62F:C250820INR45000,00",
    "-",
  ].join("\r\n");
  const statement = await expectStatus(
    "statement",
    post("/api/v1/reconciliation/statements", { bankAccountId, format: "mt940", content }),
    [201],
  );
  const statementJson = statement.json<{ id?: string; statement?: { id: string } }>();
  const statementId = statementJson.statement?.id ?? statementJson.id ?? randomUUID();
  const run = await expectStatus(
    "reconciliation run",
    post("/api/v1/reconciliation/runs", { autoApply: false }),
    [201],
  );
  const proposalId = run.json<{ proposals: { id: string }[] }>().proposals[0]?.id;
  if (proposalId === undefined) throw new Error(`the reconciliation run proposed nothing: ${run.text}`);

  await expectStatus(
    "payment settings",
    post("/api/v1/payments/settings", { upiVpa: "kulkarni@okaxis", upiPayeeName: "Kulkarni" }, "PUT"),
    [200],
  );
  const link = await expectStatus(
    "payment link",
    post("/api/v1/payment-links", {
      kind: "upi",
      amountPaise: "118000",
      reference: `INV-${tag}-0200`,
      description: "Invoice 0200",
    }),
    [201],
  );
  const linkId = link.json<{ link: { id: string } }>().link.id;

  const key = await expectStatus(
    "api key",
    post("/api/v1/api-keys", { name: "Tally sync", permissions: ["customers:read"] }),
    [201],
  );
  const apiKeyId = key.json<{ id?: string; apiKey?: { id: string } }>();

  const importRun = await expectStatus(
    "import",
    post("/api/v1/imports", {
      format: "csv",
      entity: "customers",
      content: ["Id,Name,GSTIN", `${tag}-1,Http Traders,`].join("\n"),
      mapping: { externalId: "Id", name: "Name", gstin: "GSTIN" },
    }),
    [201],
  );
  const importJson = importRun.json<{ id?: string; runId?: string; run?: { id: string } }>();

  const workflowNamespace = "walk";
  const workflowName = `follow-up-${tag.toLowerCase()}`;
  await expectStatus(
    "workflow definition",
    post("/api/v1/workflow-definitions", { source: WORKFLOW_SOURCE(workflowNamespace, workflowName) }),
    [201],
  );
  const instance = await expectStatus(
    "workflow instance",
    post("/api/v1/workflow-instances", { namespace: workflowNamespace, name: workflowName }),
    [201, 202],
  );
  const instanceJson = instance.json<{ id?: string; instance?: { id: string } }>();

  return {
    customerId,
    invoiceId: draftId,
    receivableInvoiceId,
    paymentId,
    allocationId,
    bankAccountId,
    statementId,
    proposalId,
    linkId,
    apiKeyId: apiKeyId.apiKey?.id ?? apiKeyId.id ?? "",
    importRunId: importJson.run?.id ?? importJson.runId ?? importJson.id ?? "",
    instanceId: instanceJson.instance?.id ?? instanceJson.id ?? "",
    workflowNamespace,
    workflowName,
  };
}

export interface PreparedRequest {
  path: string;
  /** Path parameters no fixture names: filled with a random id, so the route only ever answers 404. */
  unfilled: string[];
  body?: unknown;
  headers?: Record<string, string>;
}

/** Fills an operation's path parameters with the tenant's ids and gives it a minimal valid body. */
export function prepareRequest(operation: OpenApiOperation, ids: TenantObjects, tenantSlug: string) {
  const key = `${operation.method} ${operation.path}`;
  const unfilled: string[] = [];
  const value = (name: string): string => {
    switch (name) {
      case "paymentId":
        return ids.paymentId;
      case "allocationId":
        return ids.allocationId;
      case "invoiceId":
        return ids.receivableInvoiceId;
      case "customerId":
        return ids.customerId;
      case "bankAccountId":
        return ids.bankAccountId;
      case "proposalId":
        return ids.proposalId;
      case "linkId":
        return ids.linkId;
      case "runId":
        return ids.importRunId;
      case "provider":
        return "razorpay";
      case "tenant":
        return tenantSlug;
      case "namespace":
        return ids.workflowNamespace;
      case "version":
        return "1.0.0";
      case "name":
        return operation.path.startsWith("/api/v1/tds/") ? "traces" : ids.workflowName;
      case "id":
        if (operation.path.startsWith("/api/v1/customers/")) return ids.customerId;
        if (operation.path.startsWith("/api/v1/invoices/")) return ids.invoiceId;
        if (operation.path.startsWith("/api/v1/api-keys/")) return ids.apiKeyId;
        if (operation.path.startsWith("/api/v1/workflow-instances/")) return ids.instanceId;
        unfilled.push(name);
        return randomUUID();
      default:
        unfilled.push(name);
        return randomUUID();
    }
  };
  const queries: Record<string, string> = {
    "GET /api/v1/customers/{id}/contact-permission": "channel=email",
  };
  const path =
    operation.path.replace(/\{([^}]+)\}/g, (_match, name: string) => encodeURIComponent(value(name))) +
    (key in queries ? `?${queries[key]}` : "");
  const bodies: Record<string, unknown> = {
    "POST /api/v1/auth/login": { email: "nobody@nowhere.example", password: "wrong password here" },
    "POST /api/v1/auth/refresh": { refreshToken: "prt_unknown" },
    "POST /api/v1/auth/logout": { refreshToken: "prt_unknown" },
    "POST /api/v1/api-keys": { name: "walk", permissions: ["customers:read"] },
    "POST /api/v1/customers": { legalName: "Walk Traders", stateCode: "27", allowDuplicate: true },
    "POST /api/v1/customers/matches": { name: "Joshi Packaging" },
    "PATCH /api/v1/customers/{id}": { segment: "Packaging" },
    "POST /api/v1/customers/{id}/consents": { channel: "email", status: "granted", source: "web-form" },
    "POST /api/v1/invoices": invoiceDraft(ids.customerId, `WALK/${randomUUID().slice(0, 8)}`),
    "POST /api/v1/invoices/verify": invoiceDraft(ids.customerId, "WALK/VERIFY"),
    "POST /api/v1/invoices/due-notices": { asOf: "2025-12-01" },
    "PATCH /api/v1/invoices/{id}": { notes: "walked" },
    "POST /api/v1/invoices/{id}/issue": {},
    "POST /api/v1/invoices/{id}/cancel": { reason: "duplicate", remark: "entered twice" },
    "POST /api/v1/invoices/{id}/dispute": { reason: "quantity short" },
    "POST /api/v1/invoices/{id}/resolve-dispute": {},
    "POST /api/v1/invoices/{id}/write-off": { reason: "uncollectable" },
    "PUT /api/v1/invoices/{id}/irn": { irn: "a".repeat(64) },
    "POST /api/v1/invoices/{id}/credit-notes": {
      number: "CN/1",
      issueDate: "2025-10-05",
      reason: "sales-return",
      lines: [
        {
          description: "Hex bolts M12 x 50",
          hsnSac: "73181500",
          quantity: "1",
          unit: "NOS",
          unitPricePaise: "100000",
          gstRateBasisPoints: 1800,
        },
      ],
    },
    "POST /api/v1/invoices/{id}/debit-notes": {
      number: "DN/1",
      issueDate: "2025-10-05",
      reason: "correction-in-invoice",
      lines: [
        {
          description: "Hex bolts M12 x 50",
          hsnSac: "73181500",
          quantity: "1",
          unit: "NOS",
          unitPricePaise: "100000",
          gstRateBasisPoints: 1800,
        },
      ],
    },
    "POST /api/v1/invoices/{id}/settlements": { cashPaise: "100", reference: "walk-settlement" },
    "PUT /api/v1/invoicing/settings": { dueSoonDays: 5 },
    "POST /api/v1/payments": {
      customerId: ids.customerId,
      method: "cash",
      payer: { name: "Joshi Packaging" },
      receivedOn: "2025-08-20",
      amountPaise: "100",
    },
    "POST /api/v1/payments/{paymentId}/allocations": { auto: true },
    "POST /api/v1/payments/{paymentId}/reversal": { reason: "entered-in-error" },
    "PUT /api/v1/payments/receivables/{invoiceId}": {
      invoiceNumber: "INV/WALK/0101",
      customerId: ids.customerId,
      customerName: "Joshi Packaging",
      issueDate: "2025-08-01",
      dueDate: "2025-08-31",
      totalPaise: "4500000",
      taxableValuePaise: "4500000",
    },
    "PUT /api/v1/payments/payers/{customerId}": { name: "Joshi Packaging" },
    "PUT /api/v1/payments/settings": { tdsGraceDays: 10 },
    "PUT /api/v1/payments/settings/gateways/{provider}": {
      keyId: "rzp_test_walk",
      keySecret: "rzp_secret_walk",
      webhookSecret: "whsec_walk",
    },
    "POST /api/v1/reconciliation/bank-accounts": {
      name: "HDFC current",
      accountIdentifier: "50200011112222",
    },
    "PUT /api/v1/reconciliation/bank-accounts/{bankAccountId}/csv-mapping": {
      date: "Date",
      narration: "Narration",
      amount: { kind: "signed", amount: "Amount" },
    },
    "POST /api/v1/reconciliation/statements": {
      bankAccountId: ids.bankAccountId,
      format: "csv",
      content: "Date,Narration,Amount\n20/08/2025,NEFT CR WALK,100.00\n",
    },
    "POST /api/v1/reconciliation/runs": { autoApply: false },
    "POST /api/v1/reconciliation/proposals/{proposalId}/decision": { decision: "reject", note: "walk" },
    "PUT /api/v1/tds/26as/mappings/{name}": {
      deductorName: "Name of Deductor",
      tan: "TAN of Deductor",
      section: "Section",
      transactionDate: "Transaction Date",
      amountPaid: "Amount Paid / Credited",
      taxDeducted: "Tax Deducted",
    },
    "POST /api/v1/tds/26as/imports": { content: "x", mappingName: "traces" },
    "POST /api/v1/tds/26as/reconciliation": { financialYear: "2025-26" },
    "POST /api/v1/payment-links": {
      kind: "upi",
      amountPaise: "1000",
      reference: "WALK-LINK",
      description: "walk",
    },
    "POST /api/v1/imports/plan": {
      format: "csv",
      entity: "customers",
      content: "Id,Name\nW-1,Walk Plan Traders",
      mapping: { externalId: "Id", name: "Name" },
    },
    "POST /api/v1/imports": {
      format: "csv",
      entity: "customers",
      content: "Id,Name\nW-2,Walk Import Traders",
      mapping: { externalId: "Id", name: "Name" },
    },
    "PUT /api/v1/imports/external-ids": {
      source: "csv",
      entity: "customer",
      externalId: "WALK-EXT",
      internalId: ids.customerId,
    },
    "POST /api/v1/workflow-definitions": { source: WORKFLOW_SOURCE("walk", "walk-published") },
    "POST /api/v1/workflow-definitions/{namespace}/{name}/rollback": { toVersion: "1.0.0" },
    "POST /api/v1/workflow-instances": { namespace: ids.workflowNamespace, name: ids.workflowName },
    "POST /api/v1/events": { type: "walk.event", source: "/walk" },
  };
  const headers: Record<string, string> = {};
  if (
    [
      "PATCH /api/v1/customers/{id}",
      "PATCH /api/v1/invoices/{id}",
      "PUT /api/v1/invoices/{id}/irn",
      "PUT /api/v1/invoicing/settings",
    ].includes(key)
  )
    headers["if-match"] = "*";
  const prepared: PreparedRequest = { path, unfilled };
  if (key in bodies) prepared.body = bodies[key];
  else if (operation.hasBody) prepared.body = {};
  if (Object.keys(headers).length > 0) prepared.headers = headers;
  return prepared;
}
