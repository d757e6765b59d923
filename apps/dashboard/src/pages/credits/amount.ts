/**
 * Client-side check of a USD amount before it is sent: a positive decimal with at most 6
 * decimals (the ledger counts micro-dollars). The gateway checks again and has the last word.
 */
const AMOUNT = /^(?:\d+(?:\.\d{1,6})?|\.\d{1,6})$/;

/**
 * @returns a message saying what is wrong, or undefined when `text` is a valid amount.
 * @example amountProblem('2.5') // undefined
 */
export function amountProblem(text: string, { allowZero = false }: { allowZero?: boolean } = {}): string | undefined {
  const value = text.trim();
  if (value === '') return 'Enter an amount in US dollars.';
  if (!AMOUNT.test(value)) return 'Use a positive number of dollars with at most 6 decimals, e.g. 2.50.';
  if (!allowZero && Number(value) === 0) return 'The amount must be more than zero.';
  return undefined;
}
