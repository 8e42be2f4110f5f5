/**
 * The libqi meta-object of a served implementation, without a peer: ids in declaration order (overloads one id
 * each, a property's uid shared with its signal), signatures declared or dynamic, built-ins 0–8 and 80–86.
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/object-table.spec.ts
 */
import { expect } from 'chai';
import { BadArgumentsError } from '../../lib/protocol/errors.js';
import { withSignature } from '../../lib/libqi/index.js';
import { buildLibqiObjectTable } from '../../lib/libqi/libqi-object-table.js';
import { withArity } from '../../lib/service/arity.js';
import { property, signal } from '../../lib/service/members.js';
import { withContext } from '../../lib/service/meta-object.js';
import { zooImplementation } from './zoo-impl.js';

const methods = (impl: object, signatures = {}): string[] =>
  [...buildLibqiObjectTable(impl, signatures).metaObject.methods.values()].filter((m) => m.uid >= 100).map((m) => `${m.uid} ${m.name}${m.parametersSignature}->${m.returnSignature}`);

describe('libqi object table: the meta-object of a served implementation', () => {
  it('numbers the Zoo as qi_zoo_service does: methods 100–138 (sum three times), signals 139–143, properties 144–146', () => {
    const { metaObject } = buildLibqiObjectTable(zooImplementation());
    const user = [...metaObject.methods.values()].filter((m) => m.uid >= 100);
    expect(user).to.have.length(39);
    expect(user[0]).to.deep.include({ uid: 100, name: 'echoBool', parametersSignature: '(b)', returnSignature: 'b' });
    expect(user.filter((m) => m.name === 'sum').map((m) => `${m.uid}${m.parametersSignature}${m.returnSignature}`)).to.deep.equal(['126(ii)i', '127(dd)d', '128([i])i']);
    expect(user.at(-1)).to.deep.include({ uid: 138, name: 'postCount' });
    expect(metaObject.signals.get(142)).to.deep.equal({ uid: 142, name: 'sigPoint', signature: '((iis)<Point,x,y,name>)' });
    expect(metaObject.signals.get(146)).to.deep.equal({ uid: 146, name: 'propPoint', signature: '((iis)<Point,x,y,name>)' });
    expect(metaObject.properties.get(146)).to.deep.equal({ uid: 146, name: 'propPoint', signature: '(iis)<Point,x,y,name>' });
  });

  it('heads every meta-object with the built-ins 0–8 and 80–85 and the signal 86, as libqi 4.0.5 declares them', () => {
    const { metaObject } = buildLibqiObjectTable({});
    expect([...metaObject.methods.keys()]).to.deep.equal([0, 1, 2, 3, 5, 6, 7, 8, 80, 81, 82, 83, 84, 85]);
    expect(metaObject.methods.get(0)).to.deep.include({ name: 'registerEvent', parametersSignature: '(IIL)', returnSignature: 'L' });
    expect(metaObject.methods.get(6)).to.deep.include({ name: 'setProperty', parametersSignature: '(mm)', returnSignature: 'v' });
    expect([...metaObject.signals.values()].map((s) => s.name)).to.deep.equal(['traceObject']);
  });

  it('makes an undeclared member dynamic: one m per parameter (arity maximum, withArity, withContext), a signal (m), a property m', () => {
    const impl = {
      add: (a: number, b: number) => a + b,
      greet: (name: string, greeting = 'hi') => `${greeting} ${name}`,
      say: withArity({ min: 1, max: 3 }, (...words: string[]) => words.join(' ')),
      wait: withContext(({ signal: aborted }, ms: number) => (aborted.aborted ? 0 : ms)),
      none: () => undefined,
      changed: signal<[number]>(),
      level: property(3),
    };
    expect(methods(impl)).to.deep.equal(['100 add(mm)->m', '101 greet(mm)->m', '102 say(mmm)->m', '103 wait(m)->m', '104 none()->m']);
    const table = buildLibqiObjectTable(impl);
    expect(table.metaObject.signals.get(105)).to.deep.equal({ uid: 105, name: 'changed', signature: '(m)' });
    expect(table.signals.get(105)!.dynamic).to.equal(true);
    expect(table.metaObject.properties.get(106)).to.deep.equal({ uid: 106, name: 'level', signature: 'm' });
  });

  it('takes signatures from the options map as from withSignature, the map winning', () => {
    const impl = { add: withSignature('(ii)->i', (a: number, b: number) => a + b), pinged: signal<[string]>(), counter: property(0) };
    const table = buildLibqiObjectTable(impl, { add: ['(ii)->i', '(dd)->d'], pinged: '(s)', counter: 'i' });
    expect([...table.metaObject.methods.values()].filter((m) => m.uid >= 100).map((m) => m.parametersSignature)).to.deep.equal(['(ii)', '(dd)']);
    expect(table.metaObject.signals.get(102)!.signature).to.equal('(s)');
    expect(table.metaObject.properties.get(103)!.signature).to.equal('i');
  });

  it('refuses a malformed signature, a method signature without ->, a signal that is not a tuple, a name that is no member', () => {
    expect(() => withSignature('(i', () => 1)).to.throw(BadArgumentsError);
    expect(() => withSignature('(i)', () => 1)).to.throw(BadArgumentsError, "no '->'");
    expect(() => withSignature('i->i', () => 1)).to.throw(BadArgumentsError, 'tuple');
    expect(() => withSignature('s', signal())).to.throw(BadArgumentsError, 'tuple');
    expect(() => buildLibqiObjectTable({ a: () => 1 }, { b: '()->v' })).to.throw(BadArgumentsError, "'b'");
    expect(() => buildLibqiObjectTable({ p: property(1) }, { p: ['i', 's'] })).to.throw(BadArgumentsError, 'one signature');
  });
});
