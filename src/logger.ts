import { pino, type Logger } from 'pino';

/**
 * Structured logs. Request bodies are never logged; the redaction list is a second line of defence for
 * anything that might carry a token or concern text by mistake.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'dsl-desk' },
    redact: {
      paths: [
        'authorization',
        '*.authorization',
        'headers.authorization',
        '*.headers.authorization',
        'headers["x-dsl-desk-sandbox-user"]',
        'token',
        '*.token',
        'description',
        '*.description',
        'concern',
        '*.concern',
        'text',
        '*.text',
        'outcome',
        '*.outcome',
        'involved',
        '*.involved',
        'body',
        '*.body',
      ],
      censor: '[redacted]',
    },
  });
}

export type { Logger };
