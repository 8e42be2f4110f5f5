/**
 * Talking libqi (NAOqi's protocol): a libqi ServiceDirectory, a qimessaging service registered with it that libqi
 * clients can call, and a libqi client of that service. With no argument, the directory is qimessaging's own;
 * with a URL, it is that one (the kit's `qi_sd`, or a robot).
 *
 *   node --import tsx examples/naoqi.ts                          # all in this process
 *   node --import tsx examples/naoqi.ts tcp://127.0.0.1:9559     # with ../shared/libqi-peer/run qi_sd tcp://127.0.0.1:9559
 *   node --import tsx examples/naoqi.ts tcp://nao.local:9559     # a robot (NAOqi 2.9: tcps://nao.local:9503 + credentials)
 */
import { connectLibqi, createLibqiService, createLibqiServiceDirectory, property, signal, withSignature } from '../lib/index.js';

const directory = process.argv[2] === undefined ? await createLibqiServiceDirectory({ listen: 'tcp://127.0.0.1:0' }) : undefined;
const url = process.argv[2] ?? directory!.url;

// The same object createService() serves to qimessaging clients; withSignature gives libqi clients exact types.
const greeter = {
  greet: withSignature('(s)->s', (name: string) => `hello, ${name}`),
  add: withSignature(['(ii)->i', '(dd)->d'], (a: number, b: number) => a + b),
  greeted: withSignature('(s)', signal<[string]>()),
  volume: withSignature('i', property(50)),
};
const service = await createLibqiService('Greeter', greeter, { directory: url });
console.log(`Greeter registered as service ${service.serviceId} at ${service.endpoints.join(', ')}`);

// Against a robot: `await connectLibqi('tcps://nao.local:9503', { credentials: { user: 'nao', token: '…' } })`
// and `robot.service('ALTextToSpeech')`.
const robot = await connectLibqi(url);
console.log(`services: ${(await robot.services()).map((s) => `[${s.serviceId}]${s.name}`).join(' ')}`);
const proxy = await robot.service('Greeter');
console.log(`greet -> ${String(await proxy.call('greet', 'robot'))}`);
console.log(`add -> ${String(await proxy.call('add', 40, 2))}, ${String(await proxy.call('add', 0.5, 0.25))}`);
await proxy.property('volume').set(70);
console.log(`volume -> ${String(await proxy.property('volume').get())}`);

await robot.close();
await service.close();
await directory?.close();
