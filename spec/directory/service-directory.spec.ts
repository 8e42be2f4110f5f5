import { expect } from 'chai';
import {
  BadArgumentsError,
  createService,
  createServiceDirectory,
  defaultTransports,
  ServiceAlreadyRegisteredError,
  ServiceNotFoundError,
  type ServiceDirectory,
} from '../../lib/index.js';
import { DirectoryClient } from '../../lib/directory/directory-client.js';
import { eventually, rejection } from '../helpers.js';
import { listenUrl } from '../e2e/topology.js';

describe('ServiceDirectory', () => {
  let directory: ServiceDirectory;
  const clients: DirectoryClient[] = [];
  const open = async (): Promise<DirectoryClient> => {
    const client = await DirectoryClient.connect(defaultTransports(), directory.url);
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    directory = await createServiceDirectory({ listen: [listenUrl('memory')] });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await directory.close();
  });

  it('lists itself as service 1', async () => {
    const client = await open();
    expect(await client.lookup('ServiceDirectory')).to.deep.equal({ id: 1, name: 'ServiceDirectory', endpoints: directory.endpoints });
    expect((await client.list()).map((s) => s.name)).to.deep.equal(['ServiceDirectory']);
  });

  it('registers, looks up, lists and unregisters a service', async () => {
    const client = await open();
    const id = await client.register('tts', ['memory://tts']);
    expect(id).to.be.at.least(2);
    expect(await client.lookup('tts')).to.deep.equal({ id, name: 'tts', endpoints: ['memory://tts'] });
    expect(directory.services().map((s) => s.name)).to.include('tts');
    await client.unregister(id);
    await rejection(client.lookup('tts'), ServiceNotFoundError);
  });

  it('refuses a second registration of a live name', async () => {
    const first = await open();
    const second = await open();
    await first.register('tts', ['memory://a']);
    const error = await rejection(second.register('tts', ['memory://b']), ServiceAlreadyRegisteredError);
    expect(error.message).to.contain('tts');
    expect((await second.lookup('tts')).endpoints).to.deep.equal(['memory://a']);
  });

  it('answers a lookup of a missing name with ServiceNotFound', async () => {
    const error = await rejection((await open()).lookup('nope'), ServiceNotFoundError);
    expect(error.message).to.contain('nope');
  });

  it('refuses malformed registrations with BadArguments', async () => {
    const client = await open();
    const session = client.session;
    expect(session.isOpen).to.equal(true);
    await rejection(client.register('', ['memory://x']), BadArgumentsError);
    await rejection(client.register('x', 'memory://x' as unknown as string[]), BadArgumentsError);
  });

  it('removes the services of a registration link that dies, and lets the name be registered again', async () => {
    const owner = await open();
    await owner.register('tts', ['memory://a']);
    await owner.register('asr', ['memory://b']);
    owner.close();
    await eventually(() => directory.services().length === 1, 1_000, 'the dead link\'s services to go');
    const other = await open();
    await rejection(other.lookup('tts'), ServiceNotFoundError);
    expect(await other.register('tts', ['memory://c'])).to.be.a('number');
  });

  it('refuses createService for a name already live, with a typed error', async () => {
    const first = await createService('tts', { say: (text: string) => text }, { directory: directory.url });
    try {
      await rejection(createService('tts', { say: () => 'second' }, { directory: directory.url }), ServiceAlreadyRegisteredError);
    } finally {
      await first.close();
    }
    await eventually(() => !directory.services().some((s) => s.name === 'tts'), 1_000, 'the closed service to unregister');
  });

  it('has a service register again once the directory comes back', async () => {
    const url = directory.url;
    const service = await createService('tts', { say: (text: string) => text }, { directory: url, retryDelayMs: 10 });
    try {
      await directory.close();
      await eventually(() => service.actor.getSnapshot().matches('waitingForDirectory') || service.actor.getSnapshot().matches('registering'), 1_000, 'the service to notice');
      directory = await createServiceDirectory({ listen: [url] });
      await eventually(() => directory.services().some((s) => s.name === 'tts'), 2_000, 'the service to register again');
      expect(service.actor.getSnapshot().value).to.equal('ready');
    } finally {
      await service.close();
    }
  });
});
