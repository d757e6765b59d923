import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, rangeError, SafeRouterError, typeError } from './index.js';

describe('SafeRouterError', () => {
  it('carries status, type, code, retryability and headers, and renders OpenAI’s shape', () => {
    const err = new SafeRouterError({
      message: 'Slow down',
      statusCode: 429,
      type: 'rate_limit_error',
      code: 'rate_limit_rpm',
      isRetryable: true,
      headers: { 'retry-after': '3' },
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.statusCode).toBe(429);
    expect(err.isRetryable).toBe(true);
    expect(err.headers).toEqual({ 'retry-after': '3' });
    expect(err.toJSON()).toEqual({ error: { message: 'Slow down', type: 'rate_limit_error', code: 'rate_limit_rpm' } });
    expect(JSON.parse(JSON.stringify(err))).toEqual(err.toJSON());
    expect(new TextDecoder().decode(err.responseBody())).toBe(JSON.stringify(err.toJSON()));
  });

  it('copies the headers it is given, so adding one later touches this error only', () => {
    const shared = { 'retry-after': '1' };
    const a = new SafeRouterError({
      message: 'a',
      statusCode: 429,
      type: 'rate_limit_error',
      code: 'x',
      headers: shared,
    });
    a.headers['x-saferouter-receipt'] = 'jws';
    expect(shared).toEqual({ 'retry-after': '1' });
    expect(a.headers).toEqual({ 'retry-after': '1', 'x-saferouter-receipt': 'jws' });
  });

  it('defaults to not retryable, no param, no metadata, no headers', () => {
    const err = new SafeRouterError({ message: 'x', statusCode: 400, type: 'invalid_request_error', code: 'bad' });
    expect(err.isRetryable).toBe(false);
    expect(err.param).toBeUndefined();
    expect(err.metadata).toBeUndefined();
    expect(err.headers).toEqual({});
    expect('param' in err.toJSON().error).toBe(false);
    expect('metadata' in err.toJSON().error).toBe(false);
  });

  it('renders metadata as error.metadata, after param, in toJSON() and the response bytes alike', () => {
    const metadata: Record<string, string | number | boolean | null> = { affordable_tokens: 12, available_usd: '0.5' };
    const err = new SafeRouterError({
      message: 'Too poor',
      statusCode: 402,
      type: 'insufficient_quota',
      code: 'insufficient_credits',
      param: 'max_tokens',
      metadata,
    });
    metadata['affordable_tokens'] = 99; // a later change to the caller's object does not leak in
    const body = {
      error: {
        message: 'Too poor',
        type: 'insufficient_quota',
        code: 'insufficient_credits',
        param: 'max_tokens',
        metadata: { affordable_tokens: 12, available_usd: '0.5' },
      },
    };
    expect(err.toJSON()).toEqual(body);
    expect(err.metadata).toEqual(body.error.metadata);
    expect(new TextDecoder().decode(err.responseBody())).toBe(JSON.stringify(body));
    // Each rendering is a copy: changing one leaves the error as it was.
    err.toJSON().error.metadata!['affordable_tokens'] = 0;
    expect(err.toJSON().error.metadata?.['affordable_tokens']).toBe(12);
    expect(JSON.parse(JSON.stringify(err))).toEqual(body);
  });

  it('refuses a status that is not an HTTP error', () => {
    for (const statusCode of [200, 399, 600, 404.5, Number.NaN]) {
      expect(() => new SafeRouterError({ message: 'x', statusCode, type: 'api_error', code: 'x' })).toThrow(RangeError);
    }
  });

  it('is recognised across package copies by its global marker, and nothing else is', () => {
    const foreign = Object.assign(new Error('from another copy'), { [Symbol.for('saferouter.error')]: true });
    expect(SafeRouterError.isInstance(foreign)).toBe(true);
    expect(SafeRouterError.isInstance(new Error('plain'))).toBe(false);
    expect(SafeRouterError.isInstance(new TypeError('plain'))).toBe(false);
    expect(SafeRouterError.isInstance(null)).toBe(false);
    expect(SafeRouterError.isInstance('saferouter.error')).toBe(false);
  });
});

describe('InvalidArgumentError', () => {
  it('is a 400 naming the argument, in the family', () => {
    const err = rangeError('input.maxOutputTokens', 'must be a non-negative safe integer');
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(SafeRouterError.isInstance(err)).toBe(true);
    expect(InvalidArgumentError.isInstance(err)).toBe(true);
    expect(err.statusCode).toBe(400);
    expect(err.reason).toBe('range');
    expect(err.argument).toBe('input.maxOutputTokens');
    expect(err.toJSON()).toEqual({
      error: {
        message: 'input.maxOutputTokens must be a non-negative safe integer',
        type: 'invalid_request_error',
        code: 'invalid_value',
        param: 'input.maxOutputTokens',
      },
    });
    expect(typeError('x', 'must be a string').reason).toBe('type');
  });

  it('is told apart from other family members', () => {
    const other = new SafeRouterError({ message: 'x', statusCode: 400, type: 'invalid_request_error', code: 'x' });
    expect(InvalidArgumentError.isInstance(other)).toBe(false);
  });
});
