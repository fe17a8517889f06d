// Signal names and numbers, as Node spells them (os.constants.signals).
import { constants } from 'node:os';
import { describeValue } from './validate';

const signalNumbers = constants.signals as Readonly<Record<string, number>>;
const signalNames = new Map<number, NodeJS.Signals>();
for (const [name, number] of Object.entries(signalNumbers)) {
  if (!signalNames.has(number)) signalNames.set(number, name as NodeJS.Signals);
}

export type SignalInput = NodeJS.Signals | number;

/** Turns a signal name or number into its number; 0 (the existence check) is allowed. */
export function toSignalNumber(signal: unknown, optionName = 'signal'): number {
  if (typeof signal === 'number' && Number.isInteger(signal) && (signal === 0 || signalNames.has(signal))) {
    return signal;
  }
  if (typeof signal === 'string' && Object.hasOwn(signalNumbers, signal)) {
    return signalNumbers[signal] as number;
  }
  throw new TypeError(
    `Expected the \`${optionName}\` option to be a signal name like 'SIGTERM' or a signal number, got ${describeValue(signal)}`,
  );
}

export function signalName(number: number): NodeJS.Signals | null {
  return signalNames.get(number) ?? null;
}
