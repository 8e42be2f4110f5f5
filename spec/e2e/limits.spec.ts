/** Configured limits refuse with LimitExceeded and cost nothing else: the link and other bindings carry on. */
import { expect } from 'chai';
import { connect, createGateway, createService, createServiceDirectory, LimitExceededError } from '../../lib/index.js';
import { rejection } from '../helpers.js';

describe('limits', () => {
  const hang = { hang: () => new Promise<never>(() => {}), ping: () => 'pong' };

  it('refuses a call beyond maxPendingCalls locally, and the connection goes on', async () => {
    const service = await createService('hang', hang, { listen: ['memory://limits-pending'] });
    const connection = await connect('memory://limits-pending', { maxPendingCalls: 3 });
    try {
      const client = await connection.service('hang');
      const pending = [client.call('hang'), client.call('hang'), client.call('hang')];
      await rejection(client.call('hang'), LimitExceededError);
      await client.close();
      await Promise.allSettled(pending);
      expect(await (await connection.service('hang')).call('ping')).to.equal('pong');
    } finally {
      await connection.close();
      await service.close();
    }
  });

  it('refuses a bind beyond maxChannels on a service link, and beyond it at a gateway; other links are untouched', async () => {
    const directory = await createServiceDirectory({ listen: ['memory://limits-sd'] });
    const service = await createService('hang', hang, { directory: directory.url, listen: ['memory://limits-svc'], maxChannels: 2 });
    const gateway = await createGateway({ directory: directory.url, listen: ['memory://limits-gw'], maxChannels: 1 });
    try {
      const direct = await connect('memory://limits-svc');
      await direct.service('hang');
      await direct.service('hang');
      expect((await rejection(direct.service('hang'), LimitExceededError)).message).to.contain('limit 2');
      const viaGateway = await connect('memory://limits-gw');
      expect(await (await viaGateway.service('hang')).call('ping')).to.equal('pong');
      await rejection(viaGateway.service('hang'), LimitExceededError);
      const other = await connect('memory://limits-gw');
      expect(await (await other.service('hang')).call('ping')).to.equal('pong');
      await Promise.all([direct.close(), viaGateway.close(), other.close()]);
    } finally {
      await gateway.close();
      await service.close();
      await directory.close();
    }
  });
});
