import { describe, expect, it } from 'vitest';
import { lazySerializers } from './app.ts';
import { ValidationErrors, validatorCompiler } from './validation.ts';

// Schemas that fail to compile: a compiler that ran at start-up would throw at once.
const broken = { type: 'object', properties: { a: { type: 'nonsense' } } };
const route = { method: 'POST', url: '/x', httpPart: 'body' } as const;

describe('compiled on first use, not at start-up', () => {
  it('a request validator compiles when its route is first called, then validates', () => {
    const validate = validatorCompiler({ schema: broken, ...route });
    expect(() => validate({ a: 1 })).toThrow(/schema is invalid/);

    const check = validatorCompiler({
      schema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
      ...route,
    }) as (data: unknown) => { value?: unknown; error?: ValidationErrors };
    expect(check({ n: 1 })).toEqual({ value: { n: 1 } });
    const failed = check({ n: 'one' }).error;
    expect(failed).toBeInstanceOf(ValidationErrors);
    expect(failed?.details).toEqual([{ path: '/n', message: 'must be integer' }]);
  });

  it("a response serializer compiles on the route's first response, then writes what the schema says", () => {
    const compile = lazySerializers()({}, {});
    const serialize = compile({ schema: broken, method: 'GET', url: '/x', httpStatus: '200' });
    expect(() => serialize({ a: 1 })).toThrow(/schema is invalid/);

    const page = compile({
      schema: { type: 'object', properties: { id: { type: 'string' }, n: { type: 'integer' } } },
      method: 'GET',
      url: '/y',
      httpStatus: '200',
    });
    expect(page({ id: 'a', n: 2, secret: 'not in the schema' })).toBe('{"id":"a","n":2}');
    expect(page({ id: 'b', n: 3 })).toBe('{"id":"b","n":3}');
  });
});
