import type {
  CloudEvent,
  EffectRequest,
  ReceiveEventRequest,
  RuntimeHost,
  SleepRequest,
  SubflowRequest,
} from "./runtime-host.port.ts";

/**
 * A host decorator that journals what the interpreter gets from the world and replays it: the reference
 * behaviour of a durable host, in memory. Wrapping a host with a journal filled by an earlier execution
 * makes the interpreter continue where that execution stopped: recorded effects, timers, events and
 * subflows are not run again; the first unrecorded one runs for real and is recorded.
 *
 * Entries are keyed `<key>#<attempt>`. A timer records its deadline when it starts, so a replay only
 * waits for what is left of it.
 */

export type JournalEntry =
  | { id: string; type: "effect"; kind: EffectRequest["kind"]; value: unknown }
  | { id: string; type: "sleep"; until: number; done: boolean }
  | { id: string; type: "event"; event: CloudEvent }
  | { id: string; type: "subflow"; output: unknown };

export class EffectJournal {
  private readonly entries = new Map<string, JournalEntry>();

  get(id: string): JournalEntry | undefined {
    return this.entries.get(id);
  }

  record(entry: JournalEntry): void {
    this.entries.set(entry.id, entry);
  }

  /** Entries in the order they were first recorded. */
  list(): JournalEntry[] {
    return [...this.entries.values()];
  }

  get size(): number {
    return this.entries.size;
  }
}

export interface JournalingHost extends RuntimeHost {
  readonly journal: EffectJournal;
  /** Ids of entries served from the journal during this execution. */
  readonly replayed: string[];
  /** Ids of entries that ran for real (and were recorded) during this execution. */
  readonly executed: string[];
}

const entryId = (request: { key: string; attempt: number }): string => `${request.key}#${request.attempt}`;

export function createJournalingHost(
  inner: RuntimeHost,
  journal: EffectJournal = new EffectJournal(),
): JournalingHost {
  const replayed: string[] = [];
  const executed: string[] = [];
  const host: JournalingHost = {
    journal,
    replayed,
    executed,

    async effect<T>(request: EffectRequest, run: () => Promise<T>): Promise<T> {
      const id = entryId(request);
      const recorded = journal.get(id);
      if (recorded?.type === "effect") {
        replayed.push(id);
        return recorded.value as T;
      }
      const value = await inner.effect(request, run);
      journal.record({ id, type: "effect", kind: request.kind, value });
      executed.push(id);
      return value;
    },

    recall(request: EffectRequest): Promise<{ value: unknown } | undefined> {
      const recorded = journal.get(entryId(request));
      return Promise.resolve(recorded?.type === "effect" ? { value: recorded.value } : undefined);
    },

    async sleep(request: SleepRequest): Promise<void> {
      const id = entryId(request);
      let recorded = journal.get(id);
      if (recorded?.type === "sleep" && recorded.done) {
        replayed.push(id);
        return;
      }
      if (recorded?.type !== "sleep") {
        recorded = { id, type: "sleep", until: inner.now() + request.durationMs, done: false };
        journal.record(recorded);
      }
      await inner.sleep({ ...request, durationMs: Math.max(0, recorded.until - inner.now()) });
      journal.record({ ...recorded, done: true });
      executed.push(id);
    },

    async receiveEvent(request: ReceiveEventRequest): Promise<CloudEvent> {
      const id = entryId(request);
      const recorded = journal.get(id);
      if (recorded?.type === "event") {
        replayed.push(id);
        return recorded.event;
      }
      const event = await inner.receiveEvent(request);
      journal.record({ id, type: "event", event });
      executed.push(id);
      return event;
    },

    async runWorkflow(request: SubflowRequest): Promise<unknown> {
      const id = entryId(request);
      const recorded = journal.get(id);
      if (recorded?.type === "subflow") {
        replayed.push(id);
        return recorded.output;
      }
      const output = await inner.runWorkflow(request);
      journal.record({ id, type: "subflow", output });
      executed.push(id);
      return output;
    },

    fetch: (request) => inner.fetch(request),
    callFunction: (request) => inner.callFunction(request),
    emit: (request) => inner.emit(request),
    now: () => inner.now(),
    random: () => inner.random(),
    ...(inner.secrets ? { secrets: (names: readonly string[]) => inner.secrets!(names) } : {}),
    ...(inner.onTaskEvent ? { onTaskEvent: (event) => inner.onTaskEvent!(event) } : {}),
    ...(inner.isCancelled ? { isCancelled: () => inner.isCancelled!() } : {}),
  };
  return host;
}
