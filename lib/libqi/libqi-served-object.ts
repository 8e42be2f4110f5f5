/**
 * One object a libqi service serves: its main object (object 1), or an object a method returned as `o` (ids
 * from 2). It attaches to the implementation's signals and properties once and fans each emission out to the
 * links that registered for it; closing it detaches.
 */
import { randomBytes } from 'node:crypto';
import type { LibqiObjectTable } from './libqi-object-table.js';

export type EmissionListener = (args: unknown[]) => void;

export class LibqiServedObject {
  /** The 20-byte uid libqi's `ObjectPtrUID` capability sends with an `o` (and a service's ServiceInfo). */
  readonly ptrUid: Uint8Array = new Uint8Array(randomBytes(20));
  private readonly listeners = new Map<number, Set<EmissionListener>>();
  private readonly detachers: Array<() => void> = [];

  constructor(
    readonly table: LibqiObjectTable,
    readonly objectId: number,
  ) {
    for (const [uid, signal] of table.signals) this.detachers.push(signal.source.attach((args) => this.fire(uid, args)));
  }

  /** Calls `listener` with the arguments of each emission of signal `uid`; returns the function that stops it. */
  on(uid: number, listener: EmissionListener): () => void {
    let set = this.listeners.get(uid);
    if (!set) this.listeners.set(uid, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Detaches from the implementation's signals and properties. */
  close(): void {
    for (const detach of this.detachers.splice(0)) detach();
    this.listeners.clear();
  }

  /** Every listener hears the emission; the first one's error (arguments that do not fit the signature) is rethrown to the emitter. */
  private fire(uid: number, args: unknown[]): void {
    const set = this.listeners.get(uid);
    if (!set) return;
    let failure: unknown;
    for (const listener of [...set]) {
      try {
        listener(args);
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure !== undefined) throw failure;
  }
}
