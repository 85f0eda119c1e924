import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Ajv options of the API. Unknown body fields are rejected (schemas say
 * `additionalProperties: false`, and nothing is silently removed); JSON bodies
 * are taken as sent, while path and query strings are coerced to their types.
 */
export const API_AJV_OPTIONS = { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } as const;
const BODY_AJV_OPTIONS = { ...API_AJV_OPTIONS, coerceTypes: false } as const;

type BuildValidator = (route: { schema: unknown; method: string; url: string; httpPart?: string }) => ReturnType<FastifySchemaCompiler<unknown>>;

/**
 * The API's own validator compiler, so that its validation rules hold whatever
 * ajv options the hosting fastify instance was created with.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const factory = AjvCompiler();
  const strict = factory({}, { customOptions: BODY_AJV_OPTIONS }) as unknown as BuildValidator;
  const coercing = factory({}, { customOptions: API_AJV_OPTIONS }) as unknown as BuildValidator;
  return (route) => (route.httpPart === 'body' ? strict(route) : coercing(route));
}
