/**
 * The log levels `SAFEROUTER_LOG_LEVEL` accepts: a leaf module, so reading the config (config.ts,
 * and through it measure-cli) does not load the logger.
 */

/** pino's levels, most verbose first, and `silent`. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** @example isLogLevel('debug'); // true */
export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}
