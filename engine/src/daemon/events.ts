import { EventEmitter, on } from 'node:events';

export interface EngineEvent {
  Type: 'container' | 'image' | 'volume' | 'network' | 'daemon';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
  /** Deprecated top-level fields the older CLI still reads. */
  status?: string;
  id?: string;
  from?: string;
}

const HISTORY = 1024;

/** The engine's event bus: a bounded history for `since` plus live subscribers, as dockerd's events service. */
export class EventBus {
  private readonly history: EngineEvent[] = [];
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(type: EngineEvent['Type'], action: string, id: string, attributes: Record<string, string> = {}): void {
    const nowNs = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    const event: EngineEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    if (type === 'container' || type === 'image') {
      event.status = action;
      event.id = id;
      if (attributes.image) event.from = attributes.image;
    }
    this.history.push(event);
    if (this.history.length > HISTORY) this.history.shift();
    this.emitter.emit('event', event);
  }

  /**
   * Past events since `since` (unix seconds), then live ones until `until` or abort.
   * Events published while replaying history are not lost: the live listener starts first.
   */
  async *subscribe(opts: {
    since?: number;
    until?: number;
    match: (e: EngineEvent) => boolean;
    signal: AbortSignal;
  }): AsyncGenerator<EngineEvent> {
    const live = on(this.emitter, 'event', { signal: opts.signal });
    const replayed = opts.since === undefined ? [] : this.history.filter((e) => e.time >= (opts.since as number));
    const untilNs = opts.until === undefined ? undefined : opts.until * 1e9;
    const seen = new Set<EngineEvent>(replayed);
    for (const e of replayed) {
      if (untilNs !== undefined && e.timeNano > untilNs) return;
      if (opts.match(e)) yield e;
    }
    if (untilNs !== undefined && untilNs <= Date.now() * 1e6) return;
    const timer =
      untilNs === undefined
        ? undefined
        : setTimeout(() => this.emitter.emit('event', undefined), Math.max(0, untilNs / 1e6 - Date.now()));
    try {
      for await (const [e] of live as AsyncIterable<[EngineEvent | undefined]>) {
        if (!e) return;
        if (seen.has(e)) continue;
        if (untilNs !== undefined && e.timeNano > untilNs) return;
        if (opts.match(e)) yield e;
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}

/** Docker's event filters: type, event/action, container, image, label, volume, network. */
export function eventMatcher(filters: Record<string, string[]>): (e: EngineEvent) => boolean {
  return (e) => {
    for (const [key, values] of Object.entries(filters)) {
      if (values.length === 0) continue;
      const ok = values.some((v) => {
        switch (key) {
          case 'type':
            return e.Type === v;
          case 'event':
          case 'action':
            return e.Action === v || e.Action.startsWith(`${v}:`);
          case 'container':
            return e.Type === 'container' && (e.Actor.ID.startsWith(v) || e.Actor.Attributes.name === v);
          case 'image':
            return (
              e.Actor.Attributes.image === v ||
              (e.Type === 'image' && (e.Actor.ID === v || e.Actor.Attributes.name === v))
            );
          case 'volume':
          case 'network':
            return e.Type === key && (e.Actor.ID === v || e.Actor.Attributes.name === v);
          case 'label': {
            const [k, val] = v.split('=', 2) as [string, string | undefined];
            return k in e.Actor.Attributes && (val === undefined || e.Actor.Attributes[k] === val);
          }
          default:
            return true;
        }
      });
      if (!ok) return false;
    }
    return true;
  };
}
