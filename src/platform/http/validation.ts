import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { AppError, type ErrorDetail } from '../errors.ts';

/**
 * Two validators: bodies are strict (no type coercion, unknown fields rejected where the schema
 * says so), while query strings, params and headers arrive as text and are coerced. Both report
 * every problem at once.
 */
function makeAjv(coerce: boolean) {
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    strict: false,
  });
  // ajv-formats is CommonJS: its default export arrives wrapped under ESM.
  const addFormats = ((addFormatsPlugin as unknown as { default?: unknown }).default ?? addFormatsPlugin) as (
    ajv: Ajv,
  ) => Ajv;
  addFormats(ajv);
  return ajv;
}

const bodyAjv = makeAjv(false);
const textAjv = makeAjv(true);

/**
 * Each route's validator is compiled on its first request, not at start-up: compiling the
 * validators and serializers of every route made most of the product's start (see
 * lazySerializers in app.ts), while a test or a small deployment calls a few dozen routes.
 */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  let validate: ValidateFunction | null = null;
  return (data: unknown) => {
    validate ??= (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object);
    if (validate(data)) return { value: data };
    return { error: new ValidationErrors(httpPart ?? 'body', validate.errors ?? []) };
  };
};

function pointerOf(error: ErrorObject): string {
  const base = error.instancePath;
  if (error.keyword === 'required')
    return `${base}/${(error.params as { missingProperty: string }).missingProperty}`;
  if (error.keyword === 'additionalProperties')
    return `${base}/${(error.params as { additionalProperty: string }).additionalProperty}`;
  return base || '/';
}

function messageOf(error: ErrorObject): string {
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'enum':
      return `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    case 'format':
      return `must be a valid ${(error.params as { format: string }).format}`;
    default:
      return error.message ?? 'is invalid';
  }
}

export class ValidationErrors extends Error {
  readonly details: ErrorDetail[];

  constructor(part: string, errors: ErrorObject[]) {
    super(`Invalid ${part}`);
    const prefix = part === 'body' ? '' : `/${part === 'querystring' ? 'query' : part}`;
    // One message per path. anyOf/oneOf add a summary on top of their branches' errors, and a
    // nullable field adds "must be null": the other branch says what was really expected.
    const byPath = new Map<string, string[]>();
    for (const error of errors) {
      if (error.keyword === 'anyOf' || error.keyword === 'oneOf' || error.keyword === 'if') continue;
      const path = `${prefix}${pointerOf(error)}`;
      const messages = byPath.get(path) ?? [];
      messages.push(messageOf(error));
      byPath.set(path, messages);
    }
    this.details = [...byPath].map(([path, messages]) => ({
      path,
      message: messages.find((m) => m !== 'must be null') ?? messages[0]!,
    }));
  }

  toAppError(): AppError {
    return AppError.validation(this.details);
  }
}
