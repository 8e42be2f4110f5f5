/**
 * The library as its users run it: the JavaScript that `npm run build` compiles to dist/ (the bench script builds
 * first). Types come from the sources. Running the sources through tsx instead would measure tsx too: its
 * keepNames transform wraps every named closure the library makes in a `__name` call, which costs time on each
 * call path and about 256 bytes of property storage per closure (5 KB per binding in bindings-scale).
 *
 * Every bench file imports the library from here, so that one process never holds two copies of it (two copies
 * would have two memory transports).
 */
import type * as Library from '../lib/index.js';

const compiled = new URL('../dist/lib/index.js', import.meta.url).href;
const library = (await import(compiled)) as typeof Library;

export const { connect, createGateway, createService, createServiceDirectory, jetStreamDirectory, signal } = library;
// libqi's side (bench/scenarios/libqi.ts): its client, its services and their members' builders.
export const { connectLibqi, createLibqiService, property, withSignature, ServiceNotFoundError } = library;
export type { Connection, Service } from '../lib/index.js';
