/** Actor logic shared by the machines that accept links (Service, ServiceDirectory). */
import { fromPromise } from 'xstate';
import type { ServiceHost } from '../lib/service/service-host.js';

/** Opens the host's listeners; resolves with the endpoints, ephemeral ports resolved. */
export const openListeners = fromPromise<string[], { host: ServiceHost; listen: string[] }>(({ input }) =>
  input.host.links.listen(input.listen),
);
