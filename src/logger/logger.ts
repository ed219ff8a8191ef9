// One pino logger for the process: JSON lines on stdout, one event per line.
import { pino, type Logger, type DestinationStream } from 'pino';
import type { LogLevel } from '../config/types.js';

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = { name: 'switchyard', level, base: { pid: process.pid } };
  return destination === undefined ? pino(options) : pino(options, destination);
}
