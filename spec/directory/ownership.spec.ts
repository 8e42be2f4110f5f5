/**
 * A directory record belongs to the link that registered it: no one else may unregister it, and a gateway's
 * clients may not register or unregister services through it (such a record would belong to the gateway's own
 * link, outlive its author, and let one client point every other at a host of its choosing).
 */
import { expect } from 'chai';
import { BadArgumentsError, connect, createGateway, createService, createServiceDirectory, LimitExceededError, UnauthorizedError, type DirectoryService } from '../../lib/index.js';
import { DIRECTORY_LIMITS } from '../../lib/directory/directory-service.js';
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

describe('directory limits', () => {
  it('refuse oversize names, too many endpoints, and more registrations from one link than allowed', async () => {
    const directory = await createServiceDirectory({ listen: ['memory://limits-sd'] });
    const connection = await connect('memory://limits-sd');
    try {
      const sd = await connection.service<DirectoryService>('ServiceDirectory');
      await rejection(sd.register('x'.repeat(DIRECTORY_LIMITS.maxNameLength + 1), ['memory://x']), BadArgumentsError);
      await rejection(sd.register('many', Array.from({ length: DIRECTORY_LIMITS.maxEndpoints + 1 }, (_, i) => `memory://e${i}`)), BadArgumentsError);
      await rejection(sd.register('long', [`memory://${'e'.repeat(DIRECTORY_LIMITS.maxEndpointLength)}`]), BadArgumentsError);
      for (let i = 0; i < DIRECTORY_LIMITS.maxServicesPerLink; i++) await sd.register(`s${i}`, ['memory://s']);
      await rejection(sd.register('one-too-many', ['memory://s']), LimitExceededError);
      expect(directory.services()).to.have.length(DIRECTORY_LIMITS.maxServicesPerLink + 1);
    } finally {
      await connection.close();
      await directory.close();
    }
  });
});

describe('a full directory', () => {
  it('still lists every record in one body a client accepts, at the largest records allowed', async function () {
    this.timeout(20_000);
    const directory = await createServiceDirectory({ listen: ['memory://full-sd'] });
    const links = await Promise.all([0, 1, 2, 3].map(() => connect('memory://full-sd')));
    try {
      const endpoints = (i: number) =>
        Array.from({ length: DIRECTORY_LIMITS.maxEndpoints }, (_, e) => `memory://${`${i}-${e}-`.padEnd(DIRECTORY_LIMITS.maxEndpointLength - 'memory://'.length, 'x')}`);
      const name = (i: number) => `${i}-`.padEnd(DIRECTORY_LIMITS.maxNameLength, 'n');
      let registered = 1; // the directory itself
      for (const [l, link] of links.entries()) {
        const sd = await link.service<DirectoryService>('ServiceDirectory');
        const here = Math.min(DIRECTORY_LIMITS.maxServicesPerLink, DIRECTORY_LIMITS.maxServices - registered);
        await Promise.all(Array.from({ length: here }, (_, k) => sd.register(name(l * 1_000 + k), endpoints(l * 1_000 + k))));
        registered += here;
      }
      expect(registered).to.equal(DIRECTORY_LIMITS.maxServices);
      const sd = await links[0]!.service<DirectoryService>('ServiceDirectory');
      await rejection(sd.register('one-more', ['memory://x']), LimitExceededError);
      const listed = await sd.list();
      expect(listed).to.have.length(DIRECTORY_LIMITS.maxServices);
      expect(listed.at(-1)!.endpoints).to.have.length(DIRECTORY_LIMITS.maxEndpoints);
    } finally {
      for (const link of links) await link.close();
      await directory.close();
    }
  });
});
