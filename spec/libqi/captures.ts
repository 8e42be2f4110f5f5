/**
 * The kit's captures of real libqi sessions (../shared/libqi-peer/capture/), as messages with their exact bytes
 * and the signature of their payload. The bytes come from the `.pcap` (TCP streams reassembled, as the kit's
 * qi-pcap-decode.js does); which message lies where, and its payload's signature, from the matching
 * `.decoded.txt`, whose lines look like:
 *
 *   #31 t=+1.008704s conn3 Zoo(9610) -> 127.0.0.1:42350  stream offset 217, 3633 bytes
 *      header bytes: 42 de ad 42 …
 *      payload (3605 bytes, signature ({I(Issss…):        or        payload: empty
 *
 * (the decoded text elides long payloads, so it alone is not enough).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PEER_KIT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/libqi-peer');
export const CAPTURE_DIR = join(PEER_KIT, 'capture');
export const CAPTURES = ['decoded', 'zoo-session', 'auth-session', 'interop-libqi-client-node-service'] as const;

export interface CapturedMessage {
  /** `capture#n`, as numbered in the decoded text. */
  label: string;
  conn: number;
  fromClient: boolean;
  bytes: Uint8Array;
  /** The payload's signature; undefined when empty. */
  signature: string | undefined;
  /** The header bytes printed in the decoded text, to check the reassembly against. */
  headerHex: string;
}

export const capturesPresent = (): boolean => existsSync(join(CAPTURE_DIR, 'zoo-session.decoded.txt'));

function pcapFor(name: (typeof CAPTURES)[number]): string {
  return join(CAPTURE_DIR, name === 'decoded' ? 'session.pcap' : `${name}.pcap`);
}
function textFor(name: (typeof CAPTURES)[number]): string {
  return join(CAPTURE_DIR, name === 'decoded' ? 'decoded.txt' : `${name}.decoded.txt`);
}

/** Each TCP connection's two byte streams, in SYN order (connection 1 first), as the decoder numbers them. */
function reassemble(pcap: Buffer): Array<{ client: string; streams: Map<string, Buffer> }> {
  const magic = pcap.readUInt32LE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error('not a little-endian pcap');
  const linkType = pcap.readUInt32LE(20);
  const byKey = new Map<string, { client: string; next: Map<string, number>; chunks: Map<string, Buffer[]> }>();
  const conns: Array<{ client: string; next: Map<string, number>; chunks: Map<string, Buffer[]> }> = [];
  let off = 24;
  while (off + 16 <= pcap.length) {
    const incl = pcap.readUInt32LE(off + 8);
    const frame = pcap.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    const ip = linkType === 1 ? frame.subarray(14) : linkType === 113 ? frame.subarray(16) : frame.subarray(4);
    if (ip[0]! >> 4 !== 4 || ip[9] !== 6) continue;
    const tcp = ip.subarray((ip[0]! & 15) * 4, ip.readUInt16BE(2));
    const src = `${ip.subarray(12, 16).join('.')}:${tcp.readUInt16BE(0)}`;
    const dst = `${ip.subarray(16, 20).join('.')}:${tcp.readUInt16BE(2)}`;
    const seq = tcp.readUInt32BE(4);
    const flags = tcp[13]!;
    const data = tcp.subarray((tcp[12]! >> 4) * 4);
    let conn = byKey.get(`${src}>${dst}`) ?? byKey.get(`${dst}>${src}`);
    if (!conn) {
      if (!(flags & 2) || flags & 16) continue;
      conn = { client: src, next: new Map(), chunks: new Map() };
      byKey.set(`${src}>${dst}`, conn);
      conns.push(conn);
    }
    if (flags & 2) conn.next.set(src, (seq + 1) >>> 0);
    const next = conn.next.get(src);
    if (data.length === 0 || next === undefined) continue;
    const behind = (seq - next) | 0;
    if (behind > 0) throw new Error(`gap of ${behind} bytes from ${src}`);
    const fresh = data.subarray(-behind);
    if (fresh.length === 0) continue;
    const list = conn.chunks.get(src) ?? [];
    list.push(Buffer.from(fresh));
    conn.chunks.set(src, list);
    conn.next.set(src, (next + fresh.length) >>> 0);
  }
  return conns.map((c) => ({ client: c.client, streams: new Map([...c.chunks].map(([ep, list]) => [ep, Buffer.concat(list)])) }));
}

const MESSAGE_LINE = /^#(\d+) t=\S+ conn(\d+) (\S+) -> (\S+)\s+stream offset (\d+), (\d+) bytes$/;
const PAYLOAD_LINE = /^ {3}payload \(\d+ bytes, signature (.*)\):$/;

export function loadCapture(name: (typeof CAPTURES)[number]): CapturedMessage[] {
  const conns = reassemble(readFileSync(pcapFor(name)));
  const lines = readFileSync(textFor(name), 'utf8').split('\n');
  const messages: CapturedMessage[] = [];
  for (let i = 0; i < lines.length; i++) {
    const match = MESSAGE_LINE.exec(lines[i]!);
    if (!match) continue;
    const [, n, connText, from, , offsetText, lengthText] = match;
    const conn = conns[Number(connText) - 1];
    if (!conn) throw new Error(`${name}#${n}: no connection ${connText} in the pcap`);
    const fromClient = from === conn.client;
    const streamKey = fromClient ? conn.client : [...conn.streams.keys()].find((ep) => ep !== conn.client);
    const stream = streamKey === undefined ? undefined : conn.streams.get(streamKey);
    if (!stream) throw new Error(`${name}#${n}: no stream`);
    const offset = Number(offsetText);
    const bytes = new Uint8Array(stream.subarray(offset, offset + Number(lengthText)));
    const headerHex = (lines[i + 2] ?? '').replace(/^ {3}header bytes: /, '');
    const payload = PAYLOAD_LINE.exec(lines[i + 3] ?? '');
    if (!payload && lines[i + 3] !== '   payload: empty') throw new Error(`${name}#${n}: unexpected line '${lines[i + 3]}'`);
    messages.push({ label: `${name}#${n}`, conn: Number(connText), fromClient, bytes, signature: payload?.[1], headerHex });
  }
  return messages;
}
