import { expect } from 'chai';
import type { MetaObject } from '../../lib/protocol/control.js';
import type { Session } from '../../lib/session/session.js';
import { memberIds, sharedMetaObject } from '../../lib/session/shared-meta-objects.js';

const meta = (arity: number): MetaObject => ({ name: 'calc', methods: [{ id: 100, name: 'add', arity }], signals: [{ id: 101, name: 'changed' }], properties: [] });

describe('shared meta-objects', () => {
  it('keep one copy per service per link while it stays the same, and a new one when it changes', () => {
    const link = {} as Session;
    const first = sharedMetaObject(link, 'calc', meta(2));
    expect(sharedMetaObject(link, 'calc', meta(2))).to.equal(first);
    const changed = sharedMetaObject(link, 'calc', meta(3));
    expect(changed).to.not.equal(first);
    expect(changed.methods[0]!.arity).to.equal(3);
    expect(sharedMetaObject({} as Session, 'calc', meta(2))).to.not.equal(first); // another link, another copy
  });

  it('freeze the shared copy, so one client cannot change the members another sees', () => {
    const shared = sharedMetaObject({} as Session, 'calc', meta(2));
    expect(() => {
      (shared.methods[0] as { arity: number }).arity = 9;
    }).to.throw(TypeError);
    expect(Object.isFrozen(shared.methods)).to.equal(true);
  });

  it('number members by name once per meta-object', () => {
    const shared = sharedMetaObject({} as Session, 'calc', meta(2));
    const ids = memberIds(shared);
    expect(memberIds(shared)).to.equal(ids);
    expect(ids.get('add')).to.deep.equal({ id: 100, kind: 'method' });
    expect(ids.get('changed')).to.deep.equal({ id: 101, kind: 'signal' });
  });
});
