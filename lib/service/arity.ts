/**
 * How many arguments a method accepts: a minimum and a maximum (or none, for a rest parameter).
 *
 * `fn.length` counts only the parameters before the first default or rest one, so the maximum is counted from the
 * function's source: its top-level parameters, a `...rest` making it variadic. The scan skips strings, template
 * literals, comments and nested brackets; a source it cannot read (a bound or native function, a regular
 * expression in a default value that unbalances it) gives up and falls back to exactly `fn.length`. A parameter
 * TypeScript marks optional (`lang?: string`) is a plain one once compiled, so no scan can see it: declare it with
 * `withArity({ min: 1 }, fn)`, or give it a default (`lang = 'en'`), which the scan sees.
 */
export interface Arity {
  /** The fewest arguments a call may carry. */
  min: number;
  /** The most, or null when there is no maximum (a rest parameter). */
  max: number | null;
}

const DECLARED = Symbol('qimessaging.arity');

/** The argument counts a caller may pass to `F` (its context excluded for a `withContext` method). */
type ArgCount<F> = F extends { readonly withContext: true }
  ? F extends (context: never, ...args: infer A) => unknown
    ? A['length']
    : never
  : F extends (...args: infer A) => unknown
    ? A['length']
    : never;

/**
 * Declares how many arguments a method accepts, where its source cannot say: TypeScript's optional parameters
 * (`say: withArity({ min: 1 }, (text: string, lang?: string) => …)`), or a bound function. The counts are checked
 * against the function's parameter types. `max` defaults to the counted maximum; `null` means no maximum.
 */
export function withArity<F extends (...args: never[]) => unknown>(arity: { min: ArgCount<F>; max?: ArgCount<F> | null }, fn: F): F {
  Object.defineProperty(fn, DECLARED, { value: arity });
  return fn;
}

/** The arity of `fn`; `leading` parameters (a `withContext` method's context) are not the caller's. */
export function arityOf(fn: (...args: never[]) => unknown, leading = 0): Arity {
  const declared = (fn as { [DECLARED]?: { min: number; max?: number | null } })[DECLARED];
  const counted = countParameters(fn);
  const min = Math.max(0, fn.length - leading);
  const max = counted === undefined ? min : counted.rest ? null : Math.max(min, counted.count - leading);
  if (!declared) return { min, max };
  return { min: declared.min, max: declared.max === undefined ? (max === null ? null : Math.max(max, declared.min)) : declared.max };
}

/** "takes 2 argument(s)", "takes 1 to 2 argument(s)", "takes at least 1 argument(s)". */
export function describeArity({ min, max }: Arity): string {
  if (max === min) return `takes ${min} argument(s)`;
  if (max === null) return `takes at least ${min} argument(s)`;
  return `takes ${min} to ${max} argument(s)`;
}

/** The top-level parameters of `fn`'s source: how many, and whether the last is a rest one; undefined if unreadable. */
export function countParameters(fn: (...args: never[]) => unknown): { count: number; rest: boolean } | undefined {
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) return undefined;
  // `x => …` and `async x => …`: one parameter, no parentheses.
  if (/^(async\s+)?[\p{L}\p{Nl}$_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}$]*\s*=>/u.test(source)) return { count: 1, rest: false };
  const open = source.indexOf('(');
  if (open < 0) return undefined;
  let depth = 0;
  let count = 0;
  let current = '';
  let rest = false;
  for (let i = open; i < source.length; i++) {
    const char = source[i]!;
    const skipped = skip(source, i);
    if (skipped === undefined) return undefined;
    if (skipped > i) {
      if (depth === 1) current += 'x';
      i = skipped - 1;
      continue;
    }
    if ('([{'.includes(char)) depth++;
    else if (')]}'.includes(char)) depth--;
    if (depth === 0) {
      if (current.trim() !== '') count++;
      return { count, rest };
    }
    if (depth === 1 && char === ',') {
      if (current.trim() === '') return undefined;
      count++;
      current = '';
    } else if (depth >= 1 && !(depth === 1 && char === '(' && i === open)) {
      current += char;
      if (depth === 1 && current.trimStart().startsWith('...')) rest = true;
    }
  }
  return undefined;
}

/** The index after a string, template literal or comment starting at `i`; `i` if none starts there; undefined if unterminated. */
function skip(source: string, i: number): number | undefined {
  const char = source[i];
  if (char === '/' && source[i + 1] === '/') {
    const end = source.indexOf('\n', i);
    return end < 0 ? undefined : end + 1;
  }
  if (char === '/' && source[i + 1] === '*') {
    const end = source.indexOf('*/', i + 2);
    return end < 0 ? undefined : end + 2;
  }
  if (char === "'" || char === '"') {
    for (let j = i + 1; j < source.length; j++) {
      if (source[j] === '\\') j++;
      else if (source[j] === char) return j + 1;
    }
    return undefined;
  }
  if (char === '`') {
    let depth = 0;
    for (let j = i + 1; j < source.length; j++) {
      const c = source[j];
      if (c === '\\') j++;
      else if (depth === 0 && c === '`') return j + 1;
      else if (c === '$' && source[j + 1] === '{') (depth++, j++);
      else if (depth > 0 && c === '}') depth--;
      else if (depth > 0 && (c === "'" || c === '"' || c === '`')) {
        const end = skip(source, j);
        if (end === undefined) return undefined;
        j = end - 1;
      }
    }
    return undefined;
  }
  return i;
}
