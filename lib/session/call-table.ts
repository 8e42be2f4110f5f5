/**
 * The calls one side of a link has sent and not yet had answered. Ids are allocated per link and are unique among
 * the in-flight calls of that link, so a Reply is matched by id alone; the channel is kept to fail one binding's
 * calls when that binding ends.
 */
import { LimitExceededError, type QiError } from '../protocol/errors.js';

/** One call waiting for its answer: the table's record and what the caller gets back, in one object per call. */
export class PendingCall {
  readonly result: Promise<unknown>;
  resolve!: (value: unknown) => void;
  reject!: (error: QiError) => void;

  constructor(
    readonly id: number,
    readonly channel: number,
  ) {
    this.result = new Promise<unknown>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

export class CallTable {
  private readonly pending = new Map<number, PendingCall>();
  private nextId = 1;

  constructor(private readonly maxPending: number) {}

  get size(): number {
    return this.pending.size;
  }

  /** Reserves an id for a call on `channel`; the promise settles when the answer arrives or the call fails. */
  open(channel: number): PendingCall {
    if (this.pending.size >= this.maxPending) {
      throw new LimitExceededError(`too many pending calls on this link (limit ${this.maxPending})`);
    }
    const call = new PendingCall(this.allocateId(), channel);
    this.pending.set(call.id, call);
    return call;
  }

  resolve(id: number, value: unknown): void {
    const call = this.take(id);
    call?.resolve(value);
  }

  reject(id: number, error: QiError): void {
    const call = this.take(id);
    call?.reject(error);
  }

  /** True if `id` is a call still waiting for its answer. */
  has(id: number): boolean {
    return this.pending.has(id);
  }

  /** Fails the pending calls of one channel (its binding ended). */
  failChannel(channel: number, error: QiError): void {
    for (const [id, call] of this.pending) {
      if (call.channel !== channel) continue;
      this.pending.delete(id);
      call.reject(error);
    }
  }

  /** Fails every pending call (the link ended). */
  failAll(error: QiError): void {
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) call.reject(error);
  }

  /** Removes and returns the call waiting under `id`, if any: its answer has come. */
  take(id: number): PendingCall | undefined {
    const call = this.pending.get(id);
    this.pending.delete(id);
    return call;
  }

  private allocateId(): number {
    // Ids are u32 and never 0; on wrap-around, skip ids still in flight.
    do {
      const id = this.nextId;
      this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
      if (!this.pending.has(id)) return id;
    } while (true);
  }
}
