/** Host and port of a tcp-like URL (tcp, ws, wss), checked, or a TransportError that names the URL. */
import { TransportError } from '../protocol/errors.js';

/** The host part of a link's remote URL (its port changes with every connection), or the whole string. */
export function remoteHost(remote: string): string {
  try {
    return new URL(remote).hostname || remote;
  } catch {
    return remote;
  }
}

export function hostAndPort(url: URL, { allowZeroPort = false } = {}): { host: string; port: number } {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new TransportError(`missing host in '${url.href}'`);
  if (!url.port) throw new TransportError(`missing port in '${url.href}'`);
  const port = Number(url.port);
  if (!allowZeroPort && port === 0) throw new TransportError(`port 0 cannot be connected to in '${url.href}'`);
  if (!/^[A-Za-z0-9.\-:]+$/.test(host)) throw new TransportError(`bad host '${host}' in '${url.href}'`);
  return { host, port };
}
