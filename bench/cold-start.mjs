// One cold start, in a process of its own (bench/scenarios/cold-start.ts spawns it with plain `node`, no tsx, so that
// neither side pays a TypeScript loader): `node bench/cold-start.mjs ours <url>` loads the compiled library, connects,
// binds `echo` and makes one call; `node bench/cold-start.mjs raw <port>` connects a TCP socket and makes one
// length-prefixed round trip. Each prints {"ms": from the first line of this file to the reply, "importMs": the import}.
const started = performance.now();
const [mode, where] = process.argv.slice(2);
const payload = new Uint8Array(64).fill(7);
if (mode === 'ours') {
  const { connect } = await import(new URL('../dist/lib/index.js', import.meta.url).href);
  const imported = performance.now();
  const connection = await connect(where);
  const echo = await connection.service('echo');
  await echo.call('echo', payload);
  const ms = performance.now() - started;
  console.log(JSON.stringify({ ms, importMs: imported - started }));
  await connection.close();
} else {
  const net = await import('node:net');
  const imported = performance.now();
  const socket = net.connect({ host: '127.0.0.1', port: Number(where) });
  socket.setNoDelay(true);
  await new Promise((resolve) => socket.once('connect', resolve));
  const frame = Buffer.alloc(4 + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.set(payload, 4);
  let received = 0;
  const replied = new Promise((resolve) =>
    socket.on('data', (chunk) => {
      received += chunk.length;
      if (received >= frame.length) resolve(undefined);
    }),
  );
  socket.write(frame);
  await replied;
  const ms = performance.now() - started;
  console.log(JSON.stringify({ ms, importMs: imported - started }));
  socket.destroy();
}
