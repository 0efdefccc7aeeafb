import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { isAppError } from "../../kernel/app-error.ts";
import type { EventBus } from "./event-bus.port.ts";
import { appendEvents, createTenants, testEventRegistry, waitFor } from "./event-bus.testing.ts";
import { createPostgresEventBus } from "./postgres-event.bus.ts";
import {
  createWebhookFanOutConsumer,
  createWebhookSender,
  type WebhookSender,
} from "./webhook.dispatcher.ts";
import { verifyWebhookSignature } from "./webhook-signature.ts";
import {
  createWebhookSubscription,
  deactivateWebhookSubscription,
  listWebhookAttempts,
  listWebhookDeliveries,
  listWebhookSubscriptions,
} from "./webhook-subscription.store.ts";

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  signatureValid: boolean;
}

const registry = testEventRegistry();
let database: TestDatabase;
let tenantA: string;
let tenantB: string;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
const secrets = new Map<string, string>();
/** Status codes the receiver answers with, per path, in turn; 200 once the list runs out. */
const script = new Map<string, number[]>();
let bus: EventBus;
let sender: WebhookSender;

beforeAll(async () => {
  database = await createTestDatabase();
  [tenantA = "", tenantB = ""] = await createTenants(database.owner, 2);

  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const path = request.url ?? "/";
      const secret = secrets.get(path) ?? "";
      const check = verifyWebhookSignature({
        secret,
        header: request.headers["x-prapti-signature"] as string | undefined,
        body,
        nowSeconds: Math.floor(Date.now() / 1000),
      });
      received.push({ path, headers: request.headers, body, signatureValid: check.valid });
      const status = script.get(path)?.shift() ?? 200;
      response.writeHead(check.valid ? status : 401, { "content-type": "text/plain" });
      response.end(status >= 300 ? "temporarily down, try later" : "ok");
    });
  });
  receiver.listen(0, "127.0.0.1");
  await once(receiver, "listening");
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  sender = createWebhookSender({
    owner: database.owner,
    databaseUrl: database.url,
    maxAttempts: 3,
    backoff: { initialMs: 5, maxMs: 20 },
    timeoutMs: 5_000,
    pollIntervalMs: 50,
  });
  bus = createPostgresEventBus({ owner: database.owner, databaseUrl: database.url, pollIntervalMs: 100 });
  bus.subscribe(createWebhookFanOutConsumer({ app: database.app, onQueued: () => sender.wake() }));
  await bus.start();
  await sender.start();
});

afterAll(async () => {
  await sender.stop();
  await bus.stop();
  receiver.close();
  await database.drop();
});

describe("outbound webhooks", () => {
  it("delivers signed events to the tenant's subscriptions, retrying and recording every attempt", async () => {
    const forA = await createWebhookSubscription(database.app, {
      tenantId: tenantA,
      url: `${receiverUrl}/a`,
      eventTypes: ["test.invoice.paid"],
      description: "ERP sync",
    });
    const forB = await createWebhookSubscription(database.app, {
      tenantId: tenantB,
      url: `${receiverUrl}/b`,
      eventTypes: ["*"],
    });
    secrets.set("/a", forA.secret);
    secrets.set("/b", forB.secret);
    expect(forA.secret).toMatch(/^whsec_/);
    script.set("/a", [500]);

    const [, paid] = await appendEvents(database.app, registry, tenantA, [
      { type: "test.invoice.created", subject: "inv-1", n: 1 },
      { type: "test.invoice.paid", subject: "inv-1", n: 2 },
    ]);
    const [updated] = await appendEvents(database.app, registry, tenantB, [
      { type: "test.customer.updated", subject: "c-1", n: 3 },
    ]);

    await waitFor("A's delivery", async () => {
      const deliveries = await listWebhookDeliveries(database.app, tenantA);
      return deliveries[0]?.status === "delivered" ? deliveries : undefined;
    });
    await waitFor("B's delivery", async () => {
      const deliveries = await listWebhookDeliveries(database.app, tenantB);
      return deliveries[0]?.status === "delivered" ? deliveries : undefined;
    });

    const toA = received.filter((request) => request.path === "/a");
    expect(toA).toHaveLength(2);
    expect(toA.every((request) => request.signatureValid)).toBe(true);
    expect(JSON.parse(toA[1]?.body ?? "{}")).toMatchObject({
      specversion: "1.0",
      id: paid?.id,
      type: "test.invoice.paid",
      tenantid: tenantA,
      data: { n: 2 },
    });
    expect(toA[1]?.headers["x-prapti-event-id"]).toBe(paid?.id);
    expect(toA[1]?.headers["x-prapti-delivery-attempt"]).toBe("2");
    expect(toA[0]?.headers["x-prapti-signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const toB = received.filter((request) => request.path === "/b");
    expect(toB.map((request) => (JSON.parse(request.body) as { id: string }).id)).toEqual([updated?.id]);

    const [deliveryA] = await listWebhookDeliveries(database.app, tenantA);
    expect(deliveryA).toMatchObject({
      subscriptionId: forA.id,
      eventId: paid?.id,
      attempts: 2,
      lastStatusCode: 200,
    });
    const attempts = await listWebhookAttempts(database.app, tenantA, deliveryA?.id ?? "");
    expect(attempts.map((entry) => [entry.attempt, entry.statusCode, entry.responseExcerpt])).toEqual([
      [1, 500, "temporarily down, try later"],
      [2, 200, "ok"],
    ]);

    // Row-level security: each tenant sees its own subscriptions, deliveries and attempts only.
    expect((await listWebhookSubscriptions(database.app, tenantB)).map((entry) => entry.id)).toEqual([
      forB.id,
    ]);
    expect(await listWebhookAttempts(database.app, tenantB, deliveryA?.id ?? "")).toEqual([]);
    await expect(deactivateWebhookSubscription(database.app, tenantB, forA.id)).rejects.toSatisfy(
      (error) => isAppError(error) && error.code === "NOT_FOUND",
    );
    await deactivateWebhookSubscription(database.app, tenantA, forA.id);
    await deactivateWebhookSubscription(database.app, tenantB, forB.id);
  });

  it("gives up after the attempts when the receiver is unreachable, recording the errors", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/hook`;
    closed.close();
    await once(closed, "close");

    const subscription = await createWebhookSubscription(database.app, {
      tenantId: tenantA,
      url: deadUrl,
      eventTypes: ["test.customer.updated"],
    });
    const [event] = await appendEvents(database.app, registry, tenantA, [
      { type: "test.customer.updated", subject: "c-9", n: 9 },
    ]);
    const delivery = await waitFor("the failed delivery", async () => {
      const [found] = await listWebhookDeliveries(database.app, tenantA, { subscriptionId: subscription.id });
      return found?.status === "failed" ? found : undefined;
    });
    expect(delivery).toMatchObject({ eventId: event?.id, attempts: 3, lastStatusCode: null });
    const attempts = await listWebhookAttempts(database.app, tenantA, delivery.id);
    expect(attempts).toHaveLength(3);
    expect(
      attempts.every((entry) => entry.statusCode === null && /ECONNREFUSED/.test(entry.error ?? "")),
    ).toBe(true);
  });

  it("refuses subscriptions with a bad URL or event type", async () => {
    const failure = await createWebhookSubscription(database.app, {
      tenantId: tenantA,
      url: "ftp://example.test/hook",
      eventTypes: ["Invoice Paid"],
    }).catch((error: unknown) => error);
    expect(isAppError(failure) && failure.issues.map((issue) => issue.field)).toEqual([
      "url",
      "eventTypes.0",
    ]);
  });
});
