/**
 * NAOqi's ALMemory, in small, for specs that need a libqi service returning objects with signals and properties
 * (the kit's Zoo returns one with a method only): `subscriber(key)` gives an object whose `signal` fires on each
 * `raiseEvent(key, value)`, with a property `lastValue` and a method `key()`. Served with createLibqiService.
 */
import { property, Signal, withSignature, type Property } from '../../lib/index.js';

/** A signal that counts who is attached: a served libqi object attaches once, and detaches when it is released. */
export class CountedSignal extends Signal<[unknown]> {
  attached = 0;
  override attach(emitter: (args: unknown[]) => void): () => void {
    this.attached++;
    const detach = super.attach(emitter);
    let done = false;
    return () => {
      if (!done) this.attached--;
      done = true;
      detach();
    };
  }
}

/** The implementation, and every subscriber's signal (their `attached` counts say which objects are still served). */
export function memoryImplementation(): { implementation: object; signals: CountedSignal[] } {
  const subscribers: Array<{ key: string; signal: CountedSignal; lastValue: Property<unknown> }> = [];
  const signals: CountedSignal[] = [];
  const implementation = {
    subscriber: withSignature('(s)->o', (key: string) => {
      const signal = new CountedSignal();
      const lastValue = property<unknown>(0);
      signals.push(signal);
      subscribers.push({ key, signal, lastValue });
      return { key: withSignature('()->s', () => key), signal: withSignature('(m)', signal), lastValue: withSignature('m', lastValue) };
    }),
    raiseEvent: withSignature('(sm)->v', (key: string, value: unknown) => {
      for (const subscriber of subscribers) if (subscriber.key === key) subscriber.signal.emit(value);
    }),
  };
  return { implementation, signals };
}

/** How many served subscriber objects are still attached to their signal. */
export const attached = (signals: CountedSignal[]): number => signals.reduce((sum, s) => sum + s.attached, 0);
