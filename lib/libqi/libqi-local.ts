/**
 * What a libqi peer says of where it runs, for ServiceInfos: its machine id, and listening with libqi's framing.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BadArgumentsError, TransportError } from '../protocol/errors.js';
import { DEFAULT_MAX_BUFFERED_BYTES } from '../session/link-host.js';
import { TcpTransport } from '../transports/tcp.js';
import { TlsTransport, type TlsTransportOptions } from '../transports/tls.js';
import type { Link, Listener } from '../transports/transport.js';
import { LibqiLinkAdmission } from './libqi-link-admission.js';

let machineId: string | undefined;

/**
 * This machine's libqi machine id: what libqi (built without systemd, as the kit's) keeps in
 * `~/.config/qimessaging/machine_id`, so that libqi processes of the same user take this one for local (and
 * prefer its loopback endpoints); else a random id for this process. A libqi built with systemd derives its id
 * from /etc/machine-id with a salt instead, and will see this one as another machine (it then tries every endpoint).
 */
export function localMachineId(): string {
  if (machineId !== undefined) return machineId;
  try {
    const configHome = process.env['XDG_CONFIG_HOME'] || join(homedir(), '.config');
    const stored = readFileSync(join(configHome, 'qimessaging', 'machine_id'), 'utf8').trim();
    machineId = /^[0-9a-f-]{8,64}$/i.test(stored) ? stored : randomUUID();
  } catch {
    machineId = randomUUID();
  }
  return machineId;
}

/**
 * Listens on a libqi endpoint with version-0 framing: `tcp://`, `tcps://` (`tls.cert`/`tls.key`; clients are not
 * asked for a certificate, as libqi's), `tcpsm://` (also `tls.ca`: clients must show a certificate it signed). The
 * listener's url is in libqi's form. Links are admitted by `admission` (its bounds; shared by a host's listeners).
 */
export async function listenLibqi(
  endpoint: string,
  tls: TlsTransportOptions | undefined,
  /** An admitted link; `release` must be called once it has closed. */
  onAccepted: (link: Link, release: () => void) => void,
  admission: LibqiLinkAdmission = new LibqiLinkAdmission(),
): Promise<Listener> {
  const onLink = (link: Link): void => {
    const release = admission.admit(link);
    if (release) onAccepted(link, release);
  };
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new BadArgumentsError(`invalid listen endpoint '${endpoint}'`);
  }
  const hostPort = `${url.hostname}:${url.port || '0'}`;
  // A client that calls and never reads costs at most this much of our memory, as on native links (LinkHost).
  const options = { protocolVersion: 0, maxBufferedBytes: DEFAULT_MAX_BUFFERED_BYTES } as const;
  let listener: Listener;
  switch (url.protocol) {
    case 'tcp:':
      listener = await new TcpTransport().listen(new URL(`tcp://${hostPort}`), onLink, options);
      break;
    case 'tcps:':
      listener = await new TlsTransport(tls ?? {}).listen(new URL(`tls://${hostPort}`), onLink, options);
      break;
    case 'tcpsm:':
      // Mutual TLS, as libqi's tcpsm://: every client shows a certificate the `ca` signed.
      listener = await new TlsTransport({ ...tls, requestCert: true, rejectUnauthorized: true }).listen(new URL(`tls://${hostPort}`), onLink, options);
      break;
    default:
      throw new TransportError(`libqi listens on tcp://, tcps:// or tcpsm://, not '${endpoint}'`);
  }
  return { url: listener.url.replace(/^tls:/, url.protocol === 'tcpsm:' ? 'tcpsm:' : 'tcps:'), close: () => listener.close() };
}
