/**
 * A client process: connects to a robot's gateway, binds `echo` and `calc`, calls each method, and prints the
 * results and the typed errors.
 *
 *   npm run client -- --connect tcp://127.0.0.1:9559
 */
import { parseArgs } from 'node:util';
import { connect, QiError } from '../lib/index.js';

const { values } = parseArgs({ options: { connect: { type: 'string', default: 'tcp://127.0.0.1:9559' } } });

/** Prints what a call resolved with, or the typed error it rejected with. */
async function show(label: string, call: Promise<unknown>): Promise<void> {
  try {
    console.log(`${label} -> ${JSON.stringify(await call)}`);
  } catch (err) {
    if (!(err instanceof QiError)) throw err;
    console.log(`${label} -> ${err.code}: ${err.message}`);
  }
}

let conn;
try {
  conn = await connect(values.connect);
} catch (err) {
  console.error(`cannot connect to ${values.connect}: ${err instanceof QiError ? `${err.code}: ${err.message}` : String(err)}`);
  process.exitCode = 1;
}

if (conn) {
  const echo = await conn.service('echo');
  const calc = await conn.service('calc');
  await show('echo.echo("hello")', echo.call('echo', 'hello'));
  await show('echo.echo({ robot: "nao", joints: [1, 2] })', echo.call('echo', { robot: 'nao', joints: [1, 2] }));
  await show('echo.fail("on purpose")', echo.call('fail', 'on purpose'));
  await show('calc.add(2, 3)', calc.call('add', 2, 3));
  await show('calc.divide(7, 2)', calc.call('divide', 7, 2));
  await show('calc.divide(1, 0)', calc.call('divide', 1, 0));
  await show('calc.sqrt(2)', calc.call('sqrt', 2));
  await conn.close();
}
