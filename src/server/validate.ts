import type { z } from 'zod';
import { invalidInput } from '../domain/errors.ts';

/** Parses input against a schema; on failure, one message per field saying what to fix. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, where = 'request'): z.infer<S> {
  if (input === undefined && where === 'body') {
    throw invalidInput('Send a JSON body with the header Content-Type: application/json.', [{ path: 'body', message: 'Send a JSON body.' }]);
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => ({
    path: issue.path.length ? issue.path.join('.') : where,
    message: issue.code === 'unrecognized_keys' ? `Remove the unknown field(s): ${issue.keys.join(', ')}.` : issue.message,
  }));
  // The message names the fields too, for clients that show only the message.
  const named = [...new Set(fields.map((field) => field.path))].slice(0, 5).join(', ');
  throw invalidInput(`The ${where} has ${fields.length === 1 ? 'a problem' : `${fields.length} problems`} (${named}): see fields.`, fields);
}
