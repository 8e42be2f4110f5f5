import { expect } from 'chai';
import {
  ClosedError,
  ConnectionLostError,
  ServiceGoneError,
  TimeoutError,
  type Service,
} from '../../lib/index.js';
import { rejection } from '../helpers.js';
import { MATRIX, Topology, within } from './topology.js';

/** A service whose `hang` never answers, so a call stays pending until something fails it. */
function hangingService() {
  return {
    hang: () => new Promise<never>(() => {}),
    ping: () => 'pong',
  };
}

function linksOf(service: Service): number {
  return service.actor.getSnapshot().context.host.links.sessions.size;
}

for (const { mode, transport } of MATRIX) {
  describe(`peer failures (${mode}, ${transport})`, () => {
    let topology: Topology;

    beforeEach(async () => {
      topology = await Topology.start(mode, transport);
      await topology.addService('stuck', hangingService());
      await topology.addService('other', hangingService());
    });
    afterEach(() => topology.close());

    it('fails pending calls promptly when the service dies: ServiceGone via a gateway, ConnectionLost direct', async () => {
      const client = await (await topology.connectFor('stuck')).service('stuck');
      const expected = mode === 'gateway' ? ServiceGoneError : ConnectionLostError;
      const failures = [client.call('hang'), client.call('hang'), client.call('hang')].map((call) => rejection(call, expected));
      await topology.services.get('stuck')!.close();
      await within(Promise.all(failures), 1_000, 'the pending calls');
      if (mode === 'gateway') {
        await rejection(client.call('ping'), expected);
        expect(client.actor.getSnapshot().value).to.equal('ended');
      } else {
        // Straight to the service, its link was the connection's: the connection reconnects, the client waits.
        expect(client.actor.getSnapshot().value).to.equal('suspended');
        await rejection(client.with({ timeout: 50 }).call('ping'), TimeoutError);
      }
    });

    it('leaves other bindings untouched when one service dies', async () => {
      const stuckConnection = await topology.connectFor('stuck');
      const stuck = await stuckConnection.service('stuck');
      const otherConnection = await topology.connectFor('other');
      const other = await otherConnection.service('other');
      const otherPending = other.call('hang');
      let otherSettled = false;
      otherPending.then(
        () => (otherSettled = true),
        () => (otherSettled = true),
      );
      const stuckFailure = rejection(stuck.call('hang'), mode === 'gateway' ? ServiceGoneError : ConnectionLostError);
      await topology.services.get('stuck')!.close();
      await stuckFailure;
      expect(await other.call('ping')).to.equal('pong');
      expect(otherSettled).to.equal(false);
      expect(otherConnection.isOpen).to.equal(true);
    });

    it('fails pending calls with ClosedError when the connection is closed by its owner', async () => {
      const connection = await topology.connectFor('stuck');
      const client = await connection.service('stuck');
      const failure = rejection(client.call('hang'), ClosedError);
      await connection.close();
      await connection.close();
      await within(failure, 1_000, 'a pending call');
      expect(connection.actor.getSnapshot().value).to.equal('closed');
    });

    it('lets a service register again under its name after it died', async () => {
      await topology.services.get('stuck')!.close();
      const revived = await topology.addService('stuck', { ping: () => 'pong again' });
      const client = await (await topology.connectFor('stuck')).service('stuck');
      expect(await client.call('ping')).to.equal('pong again');
      expect(revived.serviceId).to.be.a('number');
    });

    if (mode === 'gateway') {
      it('fails pending calls with ConnectionLost when the gateway dies', async () => {
        const connection = await topology.connectFor('stuck');
        const client = await connection.service('stuck');
        const failure = rejection(client.call('hang'), ConnectionLostError);
        await topology.gateway!.close();
        await within(failure, 1_000, 'a pending call');
        expect(connection.actor.getSnapshot().matches('reconnecting'), 'reconnecting, not lost').to.equal(true);
        expect(client.actor.getSnapshot().value).to.equal('suspended');
      });

      it('carries two clients bound to two services on one connection', async () => {
        const connection = await topology.connectFor('stuck');
        const [stuck, other] = await Promise.all([connection.service('stuck'), connection.service('other')]);
        expect(await Promise.all([stuck.call('ping'), other.call('ping')])).to.deep.equal(['pong', 'pong']);
        const stuckFailure = rejection(stuck.call('hang'), ServiceGoneError);
        await topology.services.get('stuck')!.close();
        await stuckFailure;
        expect(await other.call('ping')).to.equal('pong');
      });

      it('reuses one gateway-to-service link for many connections', async () => {
        const service = topology.services.get('other')!;
        const clients = await Promise.all(
          Array.from({ length: 5 }, async () => (await topology.connectFor('other')).service('other')),
        );
        expect(await Promise.all(clients.map((c) => c.call('ping')))).to.deep.equal(Array(5).fill('pong'));
        expect(linksOf(service)).to.equal(1);
        expect(topology.gateway!.forwarders.size).to.equal(5);
      });

      it('ends the forwarder and unbinds upstream when a client unbinds', async () => {
        const connection = await topology.connectFor('other');
        const client = await connection.service('other');
        expect(topology.gateway!.forwarders.size).to.equal(1);
        const [forwarder] = [...topology.gateway!.forwarders];
        await client.close();
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(forwarder!.getSnapshot().value).to.equal('closed');
        expect(topology.gateway!.forwarders.size).to.equal(0);
        expect(await (await connection.service('other')).call('ping')).to.equal('pong');
      });

      it('ends every forwarder of a client link that dies', async () => {
        const connection = await topology.connectFor('other');
        await Promise.all([connection.service('other'), connection.service('stuck')]);
        expect(topology.gateway!.forwarders.size).to.equal(2);
        await connection.close();
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(topology.gateway!.forwarders.size).to.equal(0);
      });
    }
  });
}
