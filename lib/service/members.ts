/**
 * Signals and properties, declared as fields of a service's implementation object:
 *
 * ```ts
 * const tts = {
 *   say(text: string) { tts.spoke.emit(text); },
 *   spoke: signal<[word: string]>(),
 *   volume: property(50, { validate: (v) => typeof v === 'number' && v >= 0 && v <= 100 }),
 * };
 * ```
 *
 * The same objects are the service side's handles: `tts.spoke.emit(…)`, `tts.volume.set(70)`. Whoever serves the
 * object (a ServiceHost) attaches to them; emitting with nobody attached, or nobody subscribed, costs nothing.
 */
import { BadArgumentsError } from '../protocol/errors.js';

type Emitter = (args: unknown[]) => void;

/** A signal with argument types `Args`. */
export class Signal<Args extends unknown[] = unknown[]> {
  /** Type-only: lets typed proxies read the argument types. */
  declare readonly __args?: Args;
  private readonly emitters = new Set<Emitter>();

  /** Sends the arguments to every subscriber of every service that serves this signal. */
  emit(...args: Args): void {
    for (const emitter of this.emitters) emitter(args);
  }

  /** @internal The serving host's hook. Returns a detach function. */
  attach(emitter: Emitter): () => void {
    this.emitters.add(emitter);
    return () => this.emitters.delete(emitter);
  }
}

/** Declares a signal: `spoke: signal<[word: string]>()`. */
export function signal<Args extends unknown[] = []>(): Signal<Args> {
  return new Signal<Args>();
}

export interface PropertyOptions<T> {
  /** Clients may read and watch but not set it. The service itself can always `set`. */
  readOnly?: boolean;
  /**
   * Checks a value a client sets: return false or throw to refuse it (the caller gets `BadArguments` with the
   * thrown message), true to accept. Values set by the service itself are checked too.
   */
  validate?: (value: unknown) => boolean;
}

/**
 * A property: a value clients get, set and watch. Every change is also emitted as a signal of the same id.
 * `ReadOnly` is `true` for one clients may not set (`property(v, { readOnly: true })`, or `ReadOnlyProperty<T>`
 * in a contract): a client's `property(name)` then has no `set`.
 */
export class Property<T = unknown, ReadOnly extends boolean = false> {
  readonly readOnly: ReadOnly;
  private current: T;
  private readonly validate: ((value: unknown) => boolean) | undefined;
  private readonly emitters = new Set<Emitter>();

  constructor(initial: T, options: PropertyOptions<T> = {}) {
    this.current = initial;
    this.readOnly = (options.readOnly ?? false) as ReadOnly;
    this.validate = options.validate;
  }

  get(): T {
    return this.current;
  }

  /** Sets the value (after validation) and notifies watchers if it changed. */
  set(value: T): void {
    this.check(value);
    if (Object.is(value, this.current)) return;
    this.current = value;
    for (const emitter of this.emitters) emitter([value]);
  }

  /** @internal */
  attach(emitter: Emitter): () => void {
    this.emitters.add(emitter);
    return () => this.emitters.delete(emitter);
  }

  private check(value: unknown): asserts value is T {
    if (!this.validate) return;
    let accepted: boolean;
    try {
      accepted = this.validate(value);
    } catch (err) {
      throw new BadArgumentsError(err instanceof Error ? err.message : String(err));
    }
    if (!accepted) throw new BadArgumentsError(`value ${JSON.stringify(value) ?? String(value)} refused`);
  }
}

/** A property clients may read and watch but not set; the service itself still can. */
export type ReadOnlyProperty<T> = Property<T, true>;

/** Declares a property: `volume: property(50)`, `model: property('nao', { readOnly: true })`. */
export function property<T>(initial: T, options: PropertyOptions<T> & { readOnly: true }): Property<T, true>;
export function property<T>(initial: T, options?: PropertyOptions<T> & { readOnly?: false }): Property<T, false>;
export function property<T>(initial: T, options?: PropertyOptions<T>): Property<T, boolean>;
export function property<T>(initial: T, options?: PropertyOptions<T>): Property<T, boolean> {
  return new Property<T, boolean>(initial, options);
}
