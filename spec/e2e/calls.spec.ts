import { expect } from 'chai';
import {
  BadArgumentsError,
  ClosedError,
  connect,
  NoSuchMemberError,
  RemoteError,
  ServiceNotFoundError,
} from '../../lib/index.js';
import { rejection } from '../helpers.js';
import { MATRIX, Topology, transportOptions } from './topology.js';

const calc = {
  add: (a: number, b: number) => a + b,
  divide(a: number, b: number) {
    if (b === 0) throw new Error('division by zero');
    return a / b;
  },
  async slowDouble(x: number) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return x * 2;
  },
  async rejectWith(message: string) {
    throw new Error(message);
  },
  nothing() {},
  echo: (value: unknown) => value,
};

for (const { mode, transport } of MATRIX) {
  describe(`calls (${mode}, ${transport})`, () => {
    let topology: Topology;

    beforeEach(async () => {
      topology = await Topology.start(mode, transport);
      await topology.addService('calc', calc);
    });
    afterEach(() => topology.close());

    it('returns a method result', async () => {
      const client = await (await topology.connectFor('calc')).service('calc');
      expect(await client.call('add', 2, 3)).to.equal(5);
      expect(await client.call('divide', 10, 4)).to.equal(2.5);
    });

    it('awaits a method that returns a promise', async () => {
      const client = await (await topology.connectFor('calc')).service('calc');
      expect(await client.call('slowDouble', 21)).to.equal(42);
    });

    it('carries CBOR values of every common shape unchanged', async () => {
      const client = await (await topology.connectFor('calc')).service('calc');
      const values = [null, true, 0, -1.5, 2 ** 40, 'héllo', '', [1, [2, [3]]], { a: { b: 'c' } }, new Uint8Array([1, 2, 255])];
      for (const value of values) expect(await client.call('echo', value)).to.deep.equal(value);
    });

    it('resolves a void method with undefined', async () => {
      const client = await (await topology.connectFor('calc')).service('calc');
      expect(await client.call('nothing')).to.equal(undefined);
    });

    it('rejects with RemoteError carrying the message of a thrown error', async () => {
      const client = await (await topology.connectFor('calc')).service('calc');
      const error = await rejection(client.call('divide', 1, 0), RemoteError);
      expect(error.code).to.equal('RemoteError');
      expect(error.message).to.equal('division by zero');
      expect((await rejection(client.call('rejectWith', 'async failure'), RemoteError)).message).to.equal('async failure');
    });

    it('rejects an unknown method with NoSuchMember', async () => {
      const client = await (await topology.connectFor('calc')).service('calc');
      const error = await rejection(client.call('multiply', 2, 3), NoSuchMemberError);
      expect(error.message).to.contain('multiply');
    });

    it('rejects a wrong number of arguments with BadArguments, and the binding stays usable', async () => {
      const client = await (await topology.connectFor('calc')).service('calc');
      expect((await rejection(client.call('add', 1), BadArgumentsError)).message).to.contain('takes 2 argument(s), got 1');
      await rejection(client.call('add', 1, 2, 3), BadArgumentsError);
      expect(await client.call('add', 1, 2)).to.equal(3);
    });

    it('rejects arguments CBOR cannot encode with BadArguments; nothing is left pending or unhandled', async () => {
      const client = await (await topology.connectFor('calc')).service('calc');
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): number => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        const circular: Record<string, unknown> = {};
        circular.self = circular;
        expect((await rejection(client.call('echo', circular), BadArgumentsError)).message).to.contain('cannot be encoded as CBOR');
        await new Promise((resolve) => setTimeout(resolve, 10));
        expect(unhandled).to.deep.equal([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
      expect(await client.call('add', 1, 2)).to.equal(3);
    });

    it('answers many calls in flight, each with its own result', async () => {
      const client = await (await topology.connectFor('calc')).service('calc');
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => client.call('add', i, 1)));
      expect(results).to.deep.equal(Array.from({ length: 200 }, (_, i) => i + 1));
    });

    it('fails a bind to a missing service with ServiceNotFound', async () => {
      const connection = await topology.connectFor('calc');
      const error = await rejection(connection.service('tts'), ServiceNotFoundError);
      expect(error.message).to.contain('tts');
      expect(await (await connection.service('calc')).call('add', 1, 1)).to.equal(2);
    });

    it('rejects calls on a closed client with ClosedError, without disturbing the connection', async () => {
      const connection = await topology.connectFor('calc');
      const first = await connection.service('calc');
      const second = await connection.service('calc');
      await first.close();
      await first.close();
      await rejection(first.call('add', 1, 2), ClosedError);
      expect(await second.call('add', 1, 2)).to.equal(3);
    });

    it('exposes the meta-object received at bind', async () => {
      const client = await (await topology.connectFor('calc')).service('calc');
      const add = client.metaObject.methods.find((m) => m.name === 'add');
      expect(add).to.deep.include({ name: 'add', arity: 2 });
      expect(add!.id).to.be.at.least(100);
      expect(client.actor.getSnapshot().value).to.equal('bound');
    });
  });
}

for (const { mode, transport } of MATRIX) {
  describe(`the ServiceDirectory as a service (${mode}, ${transport})`, () => {
    let topology: Topology;
    beforeEach(async () => {
      topology = await Topology.start(mode, transport);
      await topology.addService('calc', calc);
    });
    afterEach(() => topology.close());

    it('is bound and called like any service', async () => {
      const connection = await connect(topology.gateway?.url ?? topology.directory.url, transportOptions(transport));
      try {
        const directory = await connection.service('ServiceDirectory');
        const list = (await directory.call('list')) as Array<{ name: string }>;
        expect(list.map((s) => s.name)).to.have.members(['ServiceDirectory', 'calc']);
        expect(await directory.call('lookup', 'calc')).to.deep.include({ name: 'calc' });
        await rejection(directory.call('lookup', 'tts'), ServiceNotFoundError);
      } finally {
        await connection.close();
      }
    });
  });
}
