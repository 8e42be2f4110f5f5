/**
 * What a qimessaging client sees as `ServiceDirectory` through a gateway whose only directory is a libqi one: a
 * read-only qimessaging directory over the libqi directory, so that `connection.services()`,
 * `waitForService(name)` and `qi services` work against a robot. `lookup(name)` and `list()` answer from libqi's
 * `service` and `services` (records `{ id, name, endpoints }`: libqi's service id and endpoints, for information:
 * clients bind by name through the gateway); `serviceAdded(name)` and `serviceRemoved(name)` relay libqi's signals
 * of those names. There is no `register` or `unregister`: a client cannot register at a robot through the gateway.
 * libqi's own ServiceDirectory is left out of `list()`, as a qimessaging directory leaves itself out.
 */
import type { Identity } from '../auth/authenticator.js';
import type { LibqiConnection, LibqiServiceInfo } from '../libqi/libqi-connection.js';
import type { BindReply } from '../protocol/control.js';
import { ServiceNotFoundError } from '../protocol/errors.js';
import { signal } from '../service/members.js';
import { memberTable } from '../service/meta-object.js';
import { ServedObject } from '../service/served-object.js';
import { ServiceBinding } from '../service/service-binding.js';
import type { Session } from '../session/session.js';
import type { ServiceRecord } from '../directory/directory-client.js';
import { DIRECTORY_NAME } from '../directory/directory-client.js';

export class LibqiDirectoryView {
  readonly serviceAdded = signal<[name: string]>();
  readonly serviceRemoved = signal<[name: string]>();
  private readonly object: ServedObject;

  constructor(connection: () => Promise<LibqiConnection>) {
    const record = (info: LibqiServiceInfo): ServiceRecord => ({ id: info.serviceId, name: info.name, endpoints: info.endpoints });
    this.object = new ServedObject(
      memberTable(
        DIRECTORY_NAME,
        [
          {
            name: 'lookup',
            arity: 1,
            invoke: async ([name]) => {
              if (typeof name !== 'string' || name === DIRECTORY_NAME) throw new ServiceNotFoundError(`no service named '${String(name)}'`);
              const info = (await (await connection()).services()).find((s) => s.name === name);
              if (!info) throw new ServiceNotFoundError(`no service named '${name}'`);
              return record(info);
            },
          },
          { name: 'list', arity: 0, invoke: async () => (await (await connection()).services()).filter((s) => s.name !== DIRECTORY_NAME).map(record) },
        ],
        [
          { name: 'serviceAdded', signal: this.serviceAdded },
          { name: 'serviceRemoved', signal: this.serviceRemoved },
        ],
      ),
    );
  }

  /** A binding of the view on a client's link; `release` is called once it has ended. */
  bind(session: Session, caller: Identity | undefined, release: () => void): BindReply {
    const binding = new ServiceBinding(this.object, session, caller, release);
    return { channel: binding.channel, metaObject: this.object.metaObject };
  }

  /** The gateway is closing. */
  close(): void {
    this.object.detach();
  }
}
