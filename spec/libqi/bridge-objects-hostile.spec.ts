/**
 * A libqi service the gateway bridges may be anyone's: an object it returns whose meta-object the bridge cannot
 * translate (a parameter signature that does not parse) fails that call, and costs the client's link none of its
 * share of bindings. Without the kit: qimessaging's own libqi ServiceDirectory and a libqi service returning a
 * crafted object reference.
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/bridge-objects-hostile.spec.ts
 */
import { expect } from 'chai';
import sinon from 'sinon';
import {
  connect,
  createGateway,
  createLibqiService,
  createLibqiServiceDirectory,
  LibqiObjectRef,
  ProtocolError,
  RemoteError,
  withSignature,
  type Connection,
  type Gateway,
  type LibqiService,
  type LibqiServiceDirectory,
} from '../../lib/index.js';
import { buildLibqiObjectTable } from '../../lib/libqi/libqi-object-table.js';
import { LibqiSocket } from '../../lib/libqi/libqi-socket.js';
import { BuiltinAction } from '../../lib/protocol/libqi/index.js';
import { rejection } from '../helpers.js';

describe('objects across the libqi bridge from a hostile libqi service', function () {
  this.timeout(20_000);
  let sd: LibqiServiceDirectory;
  let hostile: LibqiService;
  let gateway: Gateway;
  let connection: Connection;

  before(async () => {
    sd = await createLibqiServiceDirectory({ listen: 'tcp://127.0.0.1:0' });
    // An object whose one method's parameter signature does not parse.
    const { metaObject } = buildLibqiObjectTable({ greet: withSignature('(s)->s', (who: string) => who) });
    const bad = { ...metaObject, methods: new Map([...metaObject.methods].map(([id, m]) => [id, m.name === 'greet' ? { ...m, parametersSignature: '((((' } : m])) };
    hostile = await createLibqiService(
      'Hostile',
      {
        makeBroken: withSignature('()->o', () => new LibqiObjectRef(bad, hostile.serviceId!, 99, new Uint8Array(20))),
        // Objects inside a list: they cannot cross; the bridge must still release them at the service.
        makeList: withSignature('()->[o]', () => [97, 98].map((id) => new LibqiObjectRef(metaObject, hostile.serviceId!, id, new Uint8Array(20)))),
      },
      { directory: sd.url },
    );
    gateway = await createGateway({ libqiDirectory: sd.url, listen: ['memory://bridge-objects-hostile'], maxBindingsPerLink: 3 });
    connection = await connect('memory://bridge-objects-hostile', { reconnect: false });
  });

  after(async () => {
    await connection?.close();
    await gateway?.close();
    await hostile?.close();
    await sd?.close();
  });

  it('fails the call, and the link keeps its share of bindings', async () => {
    const service = await connection.service('Hostile');
    for (let i = 0; i < 4; i++) await rejection(service.call('makeBroken'), ProtocolError);
    // Two more bindings fit beside this one (maxBindingsPerLink 3): none of the refused objects holds one.
    const more = [await connection.service('Hostile'), await connection.service('Hostile')];
    expect(more).to.have.length(2);
    await Promise.all([service, ...more].map((s) => s.close()));
  });

  it('refuses objects inside a value with RemoteError and releases each at the service (terminate)', async () => {
    const send = sinon.spy(LibqiSocket.prototype, 'send');
    try {
      const service = await connection.service('Hostile');
      await rejection(service.call('makeList'), RemoteError);
      const terminated = send.getCalls().filter((call) => call.args[2] === BuiltinAction.terminate).map((call) => call.args[1]);
      expect(terminated.sort()).to.deep.equal([97, 98]);
      await service.close();
    } finally {
      send.restore();
    }
  });
});
