/**
 * Which of a libqi object's methods a call by name means. libqi has no overloading on the wire: `sum(ii)`,
 * `sum(dd)` and `sum([i])` are three methods with their own ids, and the caller picks one by its arguments. The
 * rule here: among the methods of that name whose parameter count matches, in id order, the first the arguments
 * encode under (so `sum(1, 2)` is `(ii)`, `sum(1.5, 2)` is `(dd)`, `sum([1, 2])` is `([i])`). A name of the form
 * `sum::(dd)` names the overload by its exact parameter signature, as libqi's own `name::signature` does.
 */
import { BadArgumentsError, NoSuchMemberError } from '../protocol/errors.js';
import { encodeToBytes, parseSignature, type CodecOptions, type LibqiMetaMethod, type LibqiMetaObject } from '../protocol/libqi/index.js';

export interface ResolvedCall {
  method: LibqiMetaMethod;
  /** The arguments, encoded as the method's parameter tuple. */
  payload: Uint8Array;
}

export function resolveCall(metaObject: LibqiMetaObject, objectName: string, name: string, args: readonly unknown[], codec: CodecOptions): ResolvedCall {
  const separator = name.indexOf('::');
  const wantedName = separator < 0 ? name : name.slice(0, separator);
  const wantedSignature = separator < 0 ? undefined : name.slice(separator + 2);
  const named = [...metaObject.methods.values()]
    .filter((m) => m.name === wantedName && (wantedSignature === undefined || m.parametersSignature === wantedSignature))
    .sort((a, b) => a.uid - b.uid);
  if (named.length === 0) throw new NoSuchMemberError(`${objectName} has no method '${name}'`);
  const failures: string[] = [];
  for (const method of named) {
    const params = parseSignature(method.parametersSignature);
    if (params.kind !== '(' || params.fields.length !== args.length) {
      failures.push(`${method.parametersSignature}: takes ${params.kind === '(' ? params.fields.length : '?'} arguments`);
      continue;
    }
    try {
      return { method, payload: encodeToBytes(params, args, codec) };
    } catch (err) {
      if (!(err instanceof BadArgumentsError)) throw err;
      failures.push(`${method.parametersSignature}: ${err.message}`);
    }
  }
  throw new BadArgumentsError(`no overload of ${objectName}.${wantedName} takes these ${args.length} arguments (${failures.join('; ')})`);
}
