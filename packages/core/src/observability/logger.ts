import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * pino JSON logs; pretty-printed when stdout is a terminal. Secrets are redacted by path.
 * `destination` (default stdout) lets tests read what would be logged.
 */
export function createLogger(options: { level: string; name: string; pretty?: boolean; destination?: DestinationStream }): Logger {
  const pretty = !options.destination && (options.pretty ?? Boolean(process.stdout.isTTY));
  const pinoOptions = {
    name: options.name,
    level: options.level,
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'req.headers.authorization', 'headers.authorization', 'passcode'],
      censor: '[redacted]',
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}
