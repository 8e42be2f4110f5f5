/** Attacks 1–3: hostile bytes in one frame (shared-reference DAGs, bignums, the slowest accepted bodies, stray replies). */
import { connect } from '../../lib/index.js';
import { CONTROL_CHANNEL, MAIN_OBJECT } from '../../lib/protocol/control.js';
import { encodeFrame, MessageType } from '../../lib/protocol/header.js';
import { capabilityWithDag, cbor, head, repeat, text } from '../../spec/protocol/hostile-cbor.js';
import { median } from '../measure.js';
import { RawPeer } from './raw-peer.js';
import { ask, fmtCounts, kindOf, repeatFor, sleep, tally, type Attack, type Ctx, type Outcome } from './harness.js';


/** Sends `frame` as the first bytes of a fresh link, over and over for 2 s: time to the link's close. */
function firstFrameAttack(frame: Uint8Array): (ctx: Ctx) => Promise<Outcome> {
  return async ({ urls }) => {
    let said = '';
    const times = await repeatFor(2_000, async () => {
      const peer = await RawPeer.open(urls.gateway);
      const start = performance.now();
      peer.send(frame);
      const end = await peer.closed;
      said ||= peer.lastError ?? 'closed without a word';
      return end - start;
    });
    return { what: `${frame.length.toLocaleString('en')}-byte frame before the handshake, ${times.length} links one after another: answered ${said}, link closed`, time: `median ${times.length ? median(times).toFixed(2) : '–'} ms, max ${Math.max(...times).toFixed(1)} ms to the close` };
  };
}

const SLOWEST_STRINGS = 32_766; // outer array + inner array + strings = 32,768 items, MAX_BODY_ITEMS
const slowestText = cbor([0x81], head(4, SLOWEST_STRINGS), repeat(SLOWEST_STRINGS, [0x78, 64, ...new Array<number>(64).fill(0xff)]));
const mapCount = Math.floor((32_768 - 2) / 3);
const slowestMaps = ((): Uint8Array => {
  const maps: number[] = [];
  for (let i = 0; i < mapCount; i++) maps.push(0xa1, ...text(`distinct-${i}`), 0);
  return cbor([0x81], head(4, mapCount), maps);
})();

export const frameAttacks: Attack[] = [
  {
    key: 'dag',
    name: '1. 28/29 shared-reference DAG (2^40 leaves) as the first frame',
    run: firstFrameAttack(encodeFrame({ id: 1, type: MessageType.Capability, channel: CONTROL_CHANNEL, object: 0, action: 0 }, capabilityWithDag(40))),
  },
  {
    key: 'bignum',
    name: '2a. 256 KiB tag-2 bignum as the first frame',
    run: firstFrameAttack(encodeFrame({ id: 1, type: MessageType.Capability, channel: CONTROL_CHANNEL, object: 0, action: 0 }, cbor([0xc2], head(2, 256 << 10), new Uint8Array(256 << 10).fill(0xff)))),
  },
  {
    key: 'slowest',
    name: '2b. slowest accepted bodies, echoed through the gateway',
    async run({ urls }) {
      const peer = await RawPeer.open(urls.gateway);
      await peer.handshake();
      const { channel, methods } = await peer.bind('calc');
      const echo = methods.get('echo')!;
      const result: string[] = [];
      for (const [label, body] of [['32,766 strings of 64 bytes 0xff', slowestText], [`${mapCount.toLocaleString('en')} one-key maps of distinct keys`, slowestMaps]] as const) {
        const times: number[] = [];
        let said = '';
        for (let i = 0; i < 5; i++) {
          const start = performance.now();
          const answer = await peer.request(channel, MAIN_OBJECT, echo, body);
          times.push(performance.now() - start);
          said = answer.type === MessageType.Reply ? 'echoed' : `Error ${JSON.stringify(answer.body).slice(0, 80)}`;
        }
        result.push(`${label} (${(body.length / 1024).toFixed(0)} KiB): ${said}, round trip median ${median(times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`);
      }
      peer.close();
      return { what: `accepted (within MAX_BODY_ITEMS 32,768), 5 calls each; ${result.join('; ')}`, time: 'see the round trips' };
    },
  },
  {
    key: 'stray',
    name: '3. stray replies on a gone channel (bind, 100 echoes shaped like a bind reply, unbind at once)',
    async run({ urls, good }) {
      await ask(good, { cmd: 'rebind', on: true });
      await sleep(200);
      const conn = await connect(urls.gateway);
      const fake = { channel: 1, metaObject: { name: 'calc', methods: [{ id: 100, name: 'add', arity: 2 }], signals: [], properties: [] } };
      let cycles = 0;
      const pending: Array<Promise<string>> = [];
      const deadline = performance.now() + 4_000;
      while (performance.now() < deadline) {
        const calc = await conn.service('calc');
        for (let i = 0; i < 100; i++) pending.push(kindOf(calc.call('echo', fake)));
        await calc.close();
        cycles++;
      }
      const counts = await tally(pending);
      return {
        what: `${cycles} cycles, ${pending.length.toLocaleString('en')} stray-shaped echoes (${fmtCounts(counts)} at the attacker); the good client binds afresh for every call and checks its echo`,
        time: '4 s of attack',
        cleanup: async () => {
          await ask(good, { cmd: 'rebind', on: false });
          await conn.close();
        },
      };
    },
  },
];
