/**
 * The WebSocket upgrades of one HTTP server, routed by path to the qimessaging listeners attached to it. One
 * `upgrade` handler per server, whichever transports attach, so that a path has at most one listener (`ws` fails
 * the process when two `handleUpgrade` the same socket) and an upgrade nobody claims is answered when qimessaging
 * is the server's only upgrade handler (else the client hangs and `server.close()` never finishes).
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { TransportError } from '../protocol/errors.js';

type UpgradeHandler = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

interface Routes {
  byPath: Map<string, UpgradeHandler>;
  onUpgrade: UpgradeHandler;
}

const routesByServer = new WeakMap<http.Server, Routes>();

/** Routes upgrades to `path` on `server` to `handler`; returns the function that removes the route. */
export function routeUpgrades(server: http.Server, path: string, handler: UpgradeHandler, url: string): () => void {
  let routes = routesByServer.get(server);
  if (!routes) {
    const byPath = new Map<string, UpgradeHandler>();
    const onUpgrade: UpgradeHandler = (request, socket, head) => {
      const route = byPath.get(new URL(request.url ?? '/', 'http://localhost').pathname);
      if (route) return route(request, socket, head);
      // Another handler of the app's may want it; if there is none, nobody will: say so and free the socket.
      if (server.listenerCount('upgrade') === 1) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () => socket.destroy());
      }
    };
    routes = { byPath, onUpgrade };
    routesByServer.set(server, routes);
    server.on('upgrade', onUpgrade);
  }
  const { byPath, onUpgrade } = routes;
  if (byPath.has(path)) throw new TransportError(`cannot listen on ${url}: this server already has a qimessaging listener on ${path}`);
  byPath.set(path, handler);
  return () => {
    if (byPath.get(path) !== handler) return;
    byPath.delete(path);
    if (byPath.size > 0) return;
    server.off('upgrade', onUpgrade);
    routesByServer.delete(server);
  };
}
