/**
 * The nats:// baseline: a raw NATS subject pair with no library, as issue 17 measured it. The echo process
 * subscribes to one subject and publishes each payload back to the message's reply subject; the client has one
 * fixed reply subject (its inbox) and resolves replies in order (one publisher, one subject: NATS keeps the order).
 * Publishes within a tick go out in one socket write, as nats.js flushes once per microtask; the window is the
 * caller's (bench/measure.ts), as for ours.
 */
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node';

export const RAW_ECHO_SUBJECT = 'bench.raw.echo';

/** Echo: every message back to its reply subject. Resolves once the subscription is at the server. */
export async function startRawNatsEcho(server: string): Promise<NatsConnection> {
  const nc = await connect({ servers: server });
  nc.subscribe(RAW_ECHO_SUBJECT, {
    callback: (_err, msg) => {
      if (msg.reply) nc.publish(msg.reply, msg.data);
    },
  });
  await nc.flush();
  return nc;
}

/** A raw client: publishes with its fixed inbox as the reply subject, and resolves each call in reply order. */
export async function rawNatsClient(server: string): Promise<{ call(payload: Uint8Array): Promise<Uint8Array>; close(): Promise<void> }> {
  const nc = await connect({ servers: server });
  const inbox = createInbox();
  const waiting: Array<(reply: Uint8Array) => void> = [];
  let head = 0;
  nc.subscribe(inbox, {
    callback: (_err, msg) => {
      const resolve = waiting[head];
      waiting[head++] = undefined as never;
      if (head > 4_096 && head * 2 > waiting.length) {
        waiting.splice(0, head);
        head = 0;
      }
      resolve?.(msg.data);
    },
  });
  await nc.flush();
  return {
    call(payload) {
      return new Promise<Uint8Array>((resolve) => {
        waiting.push(resolve);
        nc.publish(RAW_ECHO_SUBJECT, payload, { reply: inbox });
      });
    },
    close: () => nc.close(),
  };
}
