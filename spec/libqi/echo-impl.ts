/**
 * A qimessaging implementation of the kit's "Echo" (qi_echo_service: same members, ids and signatures).
 *
 * The member builders come from the caller: specs pass the sources' (lib/index.ts), the bench the compiled
 * library's (bench/library.ts). `withSignature` keeps its declarations in a WeakMap of its own module, so an
 * implementation built with one copy of the library is not understood by `createLibqiService` of another; only
 * types are imported here, so the bench's process loads no second copy.
 */
import type { property, signal, withSignature } from '../../lib/index.js';

export interface EchoBuilders {
  withSignature: typeof withSignature;
  signal: typeof signal;
  property: typeof property;
}

export function echoImplementation({ withSignature, signal, property }: EchoBuilders) {
  const echo = {
    echo: withSignature('(s)->s', (text: string) => text),
    add: withSignature('(ii)->i', (a: number, b: number) => a + b),
    echoValue: withSignature('(m)->m', (value: unknown) => value, { typedDynamics: true }),
    split: withSignature('(s)->[s]', (text: string) => text.split(' ')),
    fire: withSignature('(s)->v', (text: string) => echo.pinged.emit(text)),
    fail: withSignature('(s)->v', (text: string): void => {
      throw new Error(text);
    }),
    pinged: withSignature('(s)', signal<[string]>()),
    counter: withSignature('i', property(0)),
  };
  return echo;
}
