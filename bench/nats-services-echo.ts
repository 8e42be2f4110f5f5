/**
 * The services-API baseline of issue 17: what a user writes with the official NATS services framework. The echo
 * process adds a service with `@nats-io/services` (in the queue group `bench`) with one `echo` endpoint that
 * responds with the request's payload; the caller is a plain `nc.request(subject, payload)` per call, which nats.js
 * answers through its shared (muxed) inbox subscription with a timer per request. Nothing is tuned that a user of
 * the framework would not tune.
 */
import { Svcm } from '@nats-io/services';
import { connect, type NatsConnection } from '@nats-io/transport-node';

/**
 * The registry's only @nats-io/services (3.0.0-25, its latest) pins @nats-io/nats-core 3.0.0-50, a prerelease
 * whose types differ from 3.4.0's in small ways (header `Match` was an enum), so a 3.4.0 connection does not
 * typecheck. At run time the service only subscribes and responds through the connection it is given.
 */
type ServicesConnection = ConstructorParameters<typeof Svcm>[0];

export const SERVICES_ECHO_SUBJECT = 'bench.services.echo';

/** The echo service, started on the server `server`. Resolves once its subscriptions are at the server. */
export async function startServicesEcho(server: string): Promise<NatsConnection> {
  const nc = await connect({ servers: server });
  const service = await new Svcm(nc as unknown as ServicesConnection).add({ name: 'bench-echo', version: '1.0.0', queue: 'bench' });
  service.addEndpoint('echo', {
    subject: SERVICES_ECHO_SUBJECT,
    handler: (err, msg) => {
      if (!err) msg.respond(msg.data);
    },
  });
  await nc.flush();
  return nc;
}

/**
 * A caller of the echo endpoint: one `nc.request` per call. The timeout is raised from nats.js's 1 s default to
 * 10 s only so that a stall of a loaded machine cannot fail the row: every request gets its timer either way.
 */
export async function servicesClient(server: string): Promise<{ call(payload: Uint8Array): Promise<Uint8Array>; close(): Promise<void> }> {
  const nc = await connect({ servers: server });
  return {
    call: async (payload) => (await nc.request(SERVICES_ECHO_SUBJECT, payload, { timeout: 10_000 })).data,
    close: () => nc.close(),
  };
}
