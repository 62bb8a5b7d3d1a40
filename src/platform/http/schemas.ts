import { type TSchema, Type } from '@sinclair/typebox';
import { ROLES } from '../auth/roles.ts';

/** Building blocks shared by every module's TypeBox contracts. */
export const Uuid = Type.String({ format: 'uuid' });
export const Timestamp = Type.String({ format: 'date-time' });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** A string enum as plain JSON Schema `enum`, so errors read "must be one of a, b, c". */
export const StringEnum = <T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

export const RoleSchema = StringEnum(ROLES, { description: 'viewer < agent < marketer < admin < owner' });

/**
 * What a problem is, for programs (additive: only some problems carry it). The dashboard shows a
 * problem in the user's language from these; `message` stays the English sentence.
 */
export const ProblemCode = {
  code: Type.Optional(
    Type.String({
      description:
        'A stable name for the problem (e.g. unknown_field, operator_not_for_field): every problem of a segment tree has one (the list: docs/API.md, Segments)',
    }),
  ),
  params: Type.Optional(
    Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), {
      description: 'The variable parts of the message, by name (field, op, max, allowed…)',
    }),
  ),
};

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Array(
        Type.Object({
          path: Type.String(),
          message: Type.String(),
          ...ProblemCode,
          column: Type.Optional(
            Type.Integer({ description: 'In a one-line query: where the mistake starts (1-based)' }),
          ),
          length: Type.Optional(Type.Integer()),
          line: Type.Optional(
            Type.Integer({ description: 'In a template body: the line of the mistake (1-based)' }),
          ),
        }),
      ),
      existing_id: Type.Optional(
        Type.String({ description: 'On a duplicate (409): the client that already has it' }),
      ),
    }),
  },
  { description: 'Error envelope' },
);

export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
};

export const IdParams = Type.Object({ id: Uuid });

/** Common error responses, so every operation documents them. */
export const errors = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  422: ErrorResponse,
  429: ErrorResponse,
};
