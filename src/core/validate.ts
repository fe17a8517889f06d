// Argument checks shared by every option parser: messages name the option and show the value.
/** Renders a value for an error message: `-1` (number), `"abc"` (string), `null`. */
export function describeValue(value: unknown): string {
  if (value === null) return '`null`';
  if (typeof value === 'string') return `\`${JSON.stringify(value)}\` (string)`;
  if (typeof value === 'bigint') return `\`${value}n\` (bigint)`;
  if (typeof value === 'object' || typeof value === 'function') {
    return `\`${Object.prototype.toString.call(value)}\` (${typeof value})`;
  }
  return `\`${String(value)}\` (${typeof value})`;
}

/**
 * Throws a TypeError when `value` is not an integer and a RangeError when it is outside
 * [min, max]; `what` names the value in the message, e.g. "the `maxFrameSize` option".
 */
export function assertIntegerInRange(value: unknown, what: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(expectation(value, what, min, max));
  if (value < min || value > max) throw new RangeError(expectation(value, what, min, max));
}

// Built only on failure: the encoder validates on every frame.
function expectation(value: unknown, what: string, min: number, max: number): string {
  return `Expected ${what} to be an integer between ${min} and ${max}, got ${describeValue(value)}`;
}

/**
 * The own enumerable properties of an options object, on an object without a prototype: an option
 * inherited from a polluted Object.prototype (`Object.prototype.uid = 0`) is not an option.
 */
export function ownProperties<T extends object>(options: T): T {
  return Object.assign(Object.create(null) as T, options);
}

/** An own property of the caller's options object (undefined when inherited or absent), read without copying the object. */
export function ownOption(options: object, name: string): unknown {
  return Object.hasOwn(options, name) ? (options as Record<string, unknown>)[name] : undefined;
}
