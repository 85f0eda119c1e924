import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';
import { redactStrings, redactText, redactUrl } from './redact.js';

export type { Logger };

/**
 * pino's error serializer, less what drivers hang on errors: pg-pool sets `err.client` (the whole
 * connection: its parser state and every prepared statement's SQL, ~10 KB) on the errors of idle
 * connections, which Postgres restarts raise once per pooled connection.
 */
function serializeError(err: Error): ReturnType<typeof stdSerializers.err> {
  const serialized = stdSerializers.err(err);
  if (serialized && typeof serialized === 'object' && 'client' in serialized) delete (serialized as { client?: unknown }).client;
  return serialized;
}

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
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'passcode',
        '*.passcode',
        'access_token',
        '*.access_token',
        'authorization',
        'cookie',
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["proxy-authorization"]',
        'headers.authorization',
        'headers.cookie',
        'headers["proxy-authorization"]',
        'headers["set-cookie"]',
        'res.headers["set-cookie"]',
      ],
      censor: '[redacted]',
    },
    // URLs carry tokens in query strings (?access_token=…); messages may quote them.
    serializers: { url: (url: unknown) => (typeof url === 'string' ? redactUrl(url) : url), err: serializeError },
    formatters: { log: (object: Record<string, unknown>) => redactStrings(object, 3) as Record<string, unknown> },
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...args: unknown[]) => void) {
        method.apply(this, args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg)));
      },
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}
