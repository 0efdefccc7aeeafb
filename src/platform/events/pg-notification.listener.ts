import pg from "pg";
import type { Logger } from "pino";

export interface NotificationListener {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * One connection that LISTENs on some channels and calls back on each notification. Notifications only
 * speed delivery up: when the connection drops it reconnects with backoff, and the pollers cover the gap.
 */
export function createNotificationListener(options: {
  url: string;
  channels: Record<string, () => void>;
  logger?: Logger;
  reconnectMs?: number;
}): NotificationListener {
  let client: pg.Client | undefined;
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    if (stopped) return;
    const next = new pg.Client({ connectionString: options.url, application_name: "prapti-events-listen" });
    next.on("notification", (message) => options.channels[message.channel]?.());
    next.on("error", () => scheduleReconnect(next));
    next.on("end", () => scheduleReconnect(next));
    try {
      await next.connect();
      for (const channel of Object.keys(options.channels)) {
        await next.query(`listen ${pg.escapeIdentifier(channel)}`);
      }
      client = next;
      // Anything committed while no one listened is picked up now.
      for (const wake of Object.values(options.channels)) wake();
    } catch (error) {
      options.logger?.debug(
        { err: (error as Error).message },
        "event notifications unavailable; polling meanwhile",
      );
      scheduleReconnect(next);
    }
  }

  function scheduleReconnect(failed: pg.Client): void {
    if (client === failed) client = undefined;
    void failed.end().catch(() => undefined);
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, options.reconnectMs ?? 2_000);
  }

  return {
    async start() {
      if (!stopped) return;
      stopped = false;
      await connect();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
    },
  };
}
