/**
 * All in one process on the memory transport: a ServiceDirectory, a Gateway, the `echo` and `calc` services, and
 * a client that binds both through the gateway, calls each method and shows the typed errors.
 *
 *   npm start
 */
import { connect, createGateway, createService, createServiceDirectory, QiError } from '../lib/index.js';
import { calcService, echoService } from './services.js';

const directory = await createServiceDirectory({ listen: ['memory://sd'] });
const gateway = await createGateway({ directory: directory.url, listen: ['memory://gateway'] });
const echo = await createService('echo', echoService, { directory: directory.url });
const calc = await createService('calc', calcService, { directory: directory.url });
console.log(`robot side ready: gateway at ${gateway.url}, services ${directory.services().map((s) => s.name).join(', ')}`);

const conn = await connect('memory://gateway');
const echoClient = await conn.service('echo');
const calcClient = await conn.service('calc');

console.log('echo("hello") ->', await echoClient.call('echo', 'hello'));
console.log('echo({ nested: [1, 2] }) ->', await echoClient.call('echo', { nested: [1, 2] }));
console.log('calc.add(2, 3) ->', await calcClient.call('add', 2, 3));
console.log('calc.divide(10, 4) ->', await calcClient.call('divide', 10, 4));
for (const attempt of [
  () => echoClient.call('fail', 'on purpose'),
  () => calcClient.call('divide', 1, 0),
  () => calcClient.call('add', 1),
  () => calcClient.call('multiply', 2, 3),
  () => conn.service('tts'),
]) {
  try {
    await attempt();
  } catch (err) {
    if (!(err instanceof QiError)) throw err;
    console.log(`typed error ${err.code}: ${err.message}`);
  }
}

await conn.close();
await Promise.all([echo.close(), calc.close()]);
await gateway.close();
await directory.close();
console.log('all closed');
