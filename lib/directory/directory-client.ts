/**
 * A typed client of the ServiceDirectory's methods over one link, for the library's own actors (a Service
 * registering itself, a Gateway looking services up). It is a ClientChannel bound to `ServiceDirectory`.
 */
import { ClientChannel } from '../client/client-channel.js';
import { dial, type DialOptions } from '../session/open-link.js';
import type { Session } from '../session/session.js';
import type { TransportRegistry } from '../transports/registry.js';

export const DIRECTORY_NAME = 'ServiceDirectory';
export const DIRECTORY_SERVICE_ID = 1;

/** What the directory knows of one service. */
export interface ServiceRecord {
  id: number;
  name: string;
  endpoints: string[];
}

export class DirectoryClient {
  private constructor(private readonly channel: ClientChannel) {}

  /** Dials the directory at `endpoint` and binds to it. */
  static async connect(transports: TransportRegistry, endpoint: string, options: DialOptions = {}): Promise<DirectoryClient> {
    const session = await dial(transports, endpoint, options);
    try {
      const channel = new ClientChannel(session, DIRECTORY_NAME);
      await channel.bind();
      return new DirectoryClient(channel);
    } catch (err) {
      session.close();
      throw err;
    }
  }

  get session(): Session {
    return this.channel.session;
  }

  async register(name: string, endpoints: string[]): Promise<number> {
    return (await this.channel.call('register', [name, endpoints])) as number;
  }

  async unregister(id: number): Promise<void> {
    await this.channel.call('unregister', [id]);
  }

  async lookup(name: string): Promise<ServiceRecord> {
    return (await this.channel.call('lookup', [name])) as ServiceRecord;
  }

  async list(): Promise<ServiceRecord[]> {
    return (await this.channel.call('list', [])) as ServiceRecord[];
  }

  close(): void {
    this.channel.session.close();
  }

  toJSON(): object {
    return this.channel.session.toJSON();
  }
}
