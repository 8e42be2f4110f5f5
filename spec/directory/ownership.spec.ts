/**
 * A directory record belongs to the link that registered it: no one else may unregister it, and a gateway's
 * clients may not register or unregister services through it (such a record would belong to the gateway's own
 * link, outlive its author, and let one client point every other at a host of its choosing).
 */
import { expect } from 'chai';
import { connect, createGateway, createService, createServiceDirectory, UnauthorizedError, type DirectoryService } from '../../lib/index.js';
import { rejection } from '../helpers.js';

describe('directory records', () => {
  it('are removed only by the link that registered them, and never written through a gateway', async () => {
    const directory = await createServiceDirectory({ listen: ['memory://owner-sd'] });
    const calc = await createService('calc', { add: (a: number, b: number) => a + b }, { directory: directory.url });
    const gateway = await createGateway({ directory: directory.url, listen: ['memory://owner-gw'] });
    const viaGateway = await connect('memory://owner-gw');
    const direct = await connect('memory://owner-sd');
    try {
      const id = calc.serviceId!;
      const throughGateway = await viaGateway.service<DirectoryService>('ServiceDirectory');
      await rejection(throughGateway.unregister(id), UnauthorizedError);
      await rejection(throughGateway.register('calc2', ['tcp://attacker.example:4444']), UnauthorizedError);
      const straight = await direct.service<DirectoryService>('ServiceDirectory');
      await rejection(straight.unregister(id), UnauthorizedError);
      expect(directory.services().map((s) => s.name)).to.have.members(['ServiceDirectory', 'calc']);
      expect(await throughGateway.lookup('calc')).to.include({ id });
      // The service itself may still unregister (as it does when it closes).
      await calc.close();
      expect(directory.services().map((s) => s.name)).to.deep.equal(['ServiceDirectory']);
    } finally {
      await viaGateway.close();
      await direct.close();
      await gateway.close();
      await directory.close();
    }
  });
});
