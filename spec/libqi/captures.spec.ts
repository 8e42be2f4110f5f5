/**
 * The golden bytes: every message of the kit's captures of real libqi sessions decodes by its signature and
 * re-encodes to exactly the bytes libqi sent, header included.
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/captures.spec.ts
 */
import { expect } from 'chai';
import { MessageType } from '../../lib/protocol/header.js';
import {
  buildLibqiMessage,
  decodeValue,
  encodeToBytes,
  libqiPayload,
  LibqiObjectRef,
  readLibqiHeader,
  TypedValue,
  type LibqiMetaObject,
} from '../../lib/protocol/libqi/index.js';
import { CAPTURES, capturesPresent, loadCapture, type CapturedMessage } from './captures.js';

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

describe('libqi captures: decode and re-encode to the same bytes', function () {
  before(function () {
    if (!capturesPresent()) {
      console.log('    (skipped: ../shared/libqi-peer/capture is absent)');
      this.skip();
    }
  });

  for (const name of CAPTURES) {
    it(`every message of ${name}`, () => {
      const messages = loadCapture(name);
      expect(messages.length).to.be.above(10);
      for (const message of messages) roundTrip(message);
    });
  }

  it('reads the capability map, the MetaObject, a ServiceInfo list and an object as the documented JS values', () => {
    const zoo = loadCapture('zoo-session');
    const byNumber = (n: number): CapturedMessage => zoo.find((m) => m.label === `zoo-session#${n}`)!;
    const decode = (m: CapturedMessage): unknown => decodeValue(m.signature!, libqiPayload(m.bytes));

    const capabilities = decode(byNumber(2)) as Map<string, unknown>;
    expect(capabilities.get('__qi_auth_state')).to.equal(3);
    expect(capabilities.get('RemoteCancelableCalls')).to.equal(true);

    const metaObject = decode(byNumber(31)) as LibqiMetaObject;
    const sum = [...metaObject.methods.values()].filter((m) => m.name === 'sum').map((m) => [m.uid, m.parametersSignature, m.returnSignature]);
    expect(sum).to.deep.equal([
      [126, '(ii)', 'i'],
      [127, '(dd)', 'd'],
      [128, '([i])', 'i'],
    ]);
    expect(metaObject.properties.get(146)).to.deep.equal({ uid: 146, name: 'propPoint', signature: '(iis)<Point,x,y,name>' });

    const greeter = decode(byNumber(150));
    expect(greeter).to.be.instanceOf(LibqiObjectRef);
    expect((greeter as LibqiObjectRef).objectId).to.equal(3);
    expect((greeter as LibqiObjectRef).ptrUid).to.have.length(20);
    expect([...(greeter as LibqiObjectRef).metaObject.methods.values()].map((m) => m.name)).to.include('greet');

    const services = loadCapture('decoded').find((m) => m.signature?.startsWith('[(sIsI[s]ss)'))!;
    const list = decodeValue(services.signature!, libqiPayload(services.bytes)) as Array<Record<string, unknown>>;
    expect(list.map((s) => s.name)).to.deep.equal(['ServiceDirectory', 'Echo']);
    expect(list[1]!.objectUid).to.be.instanceOf(Uint8Array).with.length(20);
  });

  it('keeps the signature a dynamic value came with when asked (typedDynamics)', () => {
    const zoo = loadCapture('zoo-session');
    const point = zoo.find((m) => m.signature === '(m)' && hex(m.bytes).includes('3c 50 6f 69 6e 74'))!;
    const [value] = decodeValue('(m)', libqiPayload(point.bytes), { typedDynamics: true }) as [TypedValue];
    expect(value.signature).to.equal('(iis)<Point,x,y,name>');
    expect(decodeValue('(m)', libqiPayload(point.bytes))).to.deep.equal([value.value]);
  });
});

function roundTrip(message: CapturedMessage): void {
  const { bytes, label, signature } = message;
  expect(hex(bytes.subarray(0, 28)), `${label}: the pcap's header`).to.equal(message.headerHex);
  const header = readLibqiHeader(bytes);
  const payload = libqiPayload(bytes);
  if (signature === undefined) {
    expect(payload.length, label).to.equal(0);
    expect(buildLibqiMessage(header, payload), label).to.deep.equal(bytes);
    return;
  }
  // Dynamics keep their signatures, so `I` 3 comes back as `I` and not as the `i` inference would pick.
  const value = decodeValue(signature, payload, { typedDynamics: true });
  const again = encodeToBytes(signature, value);
  expect(hex(again), `${label} (${signature}) re-encoded`).to.equal(hex(payload));
  expect(hex(buildLibqiMessage(header, again)), `${label}: whole message`).to.equal(hex(bytes));
  if (header.type === MessageType.Error) expect(decodeValue('m', payload)).to.be.a('string');
}
