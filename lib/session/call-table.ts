/**
 * The calls one side of a link has sent and not yet had answered. Ids are allocated per link and are unique among
 * the in-flight calls of that link. A Reply is matched by its id and the channel it came on (the channel the call
 * was sent on), and the channel also serves to fail one binding's calls when that binding ends.
 */
import { LimitExceededError, type QiError } from '../protocol/errors.js';

/*
 * A promise's resolving functions, taken out by one shared executor rather than a closure made per call (Node 20
 * has no Promise.withResolvers). The executor runs synchronously inside `new Promise`, so the PendingCall
 * constructor reads them back at once.
 */
const ignore = (): void => {};
let capturedResolve: (value: unknown) => void = ignore;
let capturedReject: (error: QiError) => void = ignore;
const capture = (resolve: (value: unknown) => void, reject: (error: QiError) => void): void => {
  capturedResolve = resolve;
  capturedReject = reject;
};

/** One call waiting for its answer: the table's record and what the caller gets back, in one object per call. */
export class PendingCall {
  readonly result: Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: QiError) => void;
  /** Set when the caller asked for Progress frames (and the peer supports them); called with each value. */
  onProgress: ((value: unknown) => void) | undefined = undefined;
  /**
   * Set when the call may be answered with an object (a method call of a client that announced `features.objects`):
   * turns a Reply flagged OBJECT_RESULT into what the call resolves with, synchronously, so that the object's
   * channel is routed before the next frame is read. Throws (a QiError) to reject the call instead.
   */
  onObject: ((body: unknown) => unknown) | undefined = undefined;

  constructor(
    readonly id: number,
    readonly channel: number,
  ) {
    this.result = new Promise<unknown>(capture);
    this.resolve = capturedResolve;
    this.reject = capturedReject;
    // Let go of them, so that the last call's promise (and the value it settles with) is not kept alive.
    capturedResolve = ignore;
    capturedReject = ignore;
  }
}

/** Slots a table starts with and never shrinks below. */
const MIN_SLOTS = 16;
/**
 * A table this large that empties starts again from MIN_SLOTS (a new array, O(1)) if it is still empty a moment
 * later, so that an idle link keeps at most 4 KB of it after a burst. Not at once: a window of 1,000 calls whose
 * answers all come in one batch (the memory transport hands over a tick's frames at once) empties the table every
 * round, before its callers send the next calls, and regrew it from 16 slots each round (seven resizes per round,
 * 1.5% of the in-process call path). Smaller tables keep their size.
 */
const LARGE_EMPTY_TABLE = 512;
/** How long a large empty table waits before it shrinks: past the callers' next calls, and unnoticeable when idle. */
const SHRINK_DELAY_MS = 1;

/**
 * Pending calls indexed by `id & mask` in an array whose length is a power of two, kept at least twice the number
 * of calls in flight. Ids are handed out in sequence, so the calls in flight fill a run of slots and a lookup is an
 * index and one comparison. With a Map instead, each call's objects (its PendingCall, promise and the reply's
 * Buffer) were promoted out of the young generation, ~500 bytes per call measured, and the client spent about half
 * its CPU per call on that. The table doubles when more than half full, starts again small when a large one
 * empties, and halves after a period of low use while calls go on (see `endPeriod`).
 */
export class CallTable {
  private slots: Array<PendingCall | undefined> = emptySlots(MIN_SLOTS);
  private mask = MIN_SLOTS - 1;
  private count = 0;
  /** Answers taken in the current period (a period lasts twice as many answers as there are slots). */
  private answers = 0;
  /** The most calls in flight at once during the current period. */
  private peak = 0;
  private nextId = 1;
  private shrinkTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly maxPending: number) {}

  get size(): number {
    return this.count;
  }

  /** Reserves an id for a call on `channel`; the promise settles when the answer arrives or the call fails. */
  open(channel: number): PendingCall {
    if (this.count >= this.maxPending) {
      throw new LimitExceededError(`too many pending calls on this link (limit ${this.maxPending})`);
    }
    if ((this.count + 1) * 2 > this.slots.length) this.resize(this.slots.length * 2);
    const call = new PendingCall(this.allocateId(), channel);
    this.slots[call.id & this.mask] = call;
    if (++this.count > this.peak) this.peak = this.count;
    return call;
  }

  /**
   * Removes and returns the call waiting under `id` on `channel`, if any: its answer has come. An answer on another
   * channel is not its answer, whatever its id.
   */
  take(id: number, channel: number): PendingCall | undefined {
    const slot = id & this.mask;
    const call = this.slots[slot];
    if (call === undefined || call.id !== id || call.channel !== channel) return undefined;
    this.slots[slot] = undefined;
    this.count--;
    if (this.count === 0 && this.slots.length >= LARGE_EMPTY_TABLE) this.shrinkIfStillEmpty();
    else if (++this.answers >= 2 * this.slots.length) this.endPeriod();
    return call;
  }

  /** The call waiting under `id` on `channel`, left in the table (a Progress frame does not settle it). */
  peek(id: number, channel: number): PendingCall | undefined {
    const call = this.slots[id & this.mask];
    return call !== undefined && call.id === id && call.channel === channel ? call : undefined;
  }

  /** Fails the pending calls of one channel (its binding ended). */
  failChannel(channel: number, error: QiError): void {
    if (this.count === 0) return;
    const calls = this.slots.filter((call): call is PendingCall => call?.channel === channel);
    for (const call of calls) this.take(call.id, channel);
    for (const call of calls) call.reject(error);
  }

  /** Fails every pending call (the link ended). */
  failAll(error: QiError): void {
    const calls = this.slots.filter((call): call is PendingCall => call !== undefined);
    this.count = 0;
    this.empty();
    for (const call of calls) call.reject(error);
  }

  private allocateId(): number {
    // Ids are u32 and never 0. An id whose slot still holds an older call (one long in flight, or the same id
    // after wrap-around) is skipped. The table is at most half full, so a free slot comes within a couple of tries
    // on average; at worst, after a burst of long-lived calls, once per such call per pass of the slots.
    for (;;) {
      const id = this.nextId;
      this.nextId = id >= 0xffffffff ? 1 : id + 1;
      if (this.slots[id & this.mask] === undefined) return id;
    }
  }

  /** Starts again from the smallest table once SHRINK_DELAY_MS have passed, if no call is in flight then. */
  private shrinkIfStillEmpty(): void {
    if (this.shrinkTimer !== undefined) return;
    this.shrinkTimer = setTimeout(() => {
      this.shrinkTimer = undefined;
      if (this.count === 0 && this.slots.length >= LARGE_EMPTY_TABLE) this.empty();
    }, SHRINK_DELAY_MS);
    // A pending shrink never keeps a process alive.
    (this.shrinkTimer as { unref?: () => void }).unref?.();
  }

  /** Starts again from the smallest table; only called when no call is in flight. */
  private empty(): void {
    this.slots = emptySlots(MIN_SLOTS);
    this.mask = MIN_SLOTS - 1;
    this.answers = 0;
    this.peak = 0;
  }

  /**
   * Gives back the room of a burst while calls go on at a lower level: the table halves when no more than a quarter of its slots were
   * in use at any time during a whole period. A window of calls that fills and empties the table every round keeps
   * its size instead of halving and doubling each round; a resize costs O(1) per answer either way.
   */
  private endPeriod(): void {
    if (this.peak < this.slots.length / 4 && this.slots.length > MIN_SLOTS) this.resize(this.slots.length / 2);
    this.answers = 0;
    this.peak = this.count;
  }

  /**
   * Moves the calls to a table of `length` slots. Growing never makes two calls collide (ids that differ in their
   * low bits still do with one more bit); halving can, and then the table keeps its size for another period.
   */
  private resize(length: number): void {
    this.answers = 0;
    this.peak = this.count;
    const slots = emptySlots(length);
    const mask = length - 1;
    for (const call of this.slots) {
      if (call === undefined) continue;
      if (slots[call.id & mask] !== undefined) return;
      slots[call.id & mask] = call;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

function emptySlots(length: number): Array<PendingCall | undefined> {
  return new Array<PendingCall | undefined>(length).fill(undefined);
}
