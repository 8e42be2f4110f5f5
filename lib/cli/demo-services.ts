/** The two demo services `qi serve --demo` (and the examples) serve: `echo` and `calc`. */
export const echoService = {
  /** Returns its argument unchanged. */
  echo(value: unknown): unknown {
    return value;
  },
  /** Throws an Error with `message`: the caller receives a RemoteError. */
  fail(message: string): never {
    throw new Error(message);
  },
};

export const calcService = {
  add(a: number, b: number): number {
    return a + b;
  },
  divide(a: number, b: number): number {
    if (b === 0) throw new Error('division by zero');
    return a / b;
  },
};
