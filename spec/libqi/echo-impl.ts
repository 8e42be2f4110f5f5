/** A qimessaging implementation of the kit's "Echo" (qi_echo_service: same members, ids and signatures). */
import { property, signal } from '../../lib/service/members.js';
import { withSignature } from '../../lib/libqi/index.js';

export function echoImplementation() {
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
