/** The one definition of "shaped like a key or a secret" (src/telemetry/secret-shapes.ts). */

import { describe, expect, it } from 'vitest';
import { isSecretShaped, scrubSecretShapes } from '../../src/telemetry/secret-shapes.ts';

describe('isSecretShaped', () => {
  it.each([
    ['a Featurebase key', 'sk_live_abc123'],
    ['a bare key prefix', 'sk_'],
    ['an upper-case key prefix', 'SK_LIVE_ABC'],
    ['a webhook secret', 'whsec_3kPq9Zr1'],
    ['a publishable key', 'pk_test_123'],
    ['a restricted key', 'rk_live_123'],
    ['a key after a separator', 'req-sk_live_abc'],
    ['a key after an underscore', 'trace_sk_live_abc'],
    ['a bearer credential', 'Bearer abc.def'],
    ['a random token (upper, lower, digits, 20+)', 'aB3dE5fG7hJ9kL1mN3pQ'],
    ['base64 of a key', 'c2tfbGl2ZV9hYmMxMjM0NTY3ODkw'],
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig'],
    ['a token inside other text', 'id-Xk9mP2qR7sT4vW8yZ1aB-end'],
  ])('%s: %s', (_, text) => {
    expect(isSecretShaped(text)).toBe(true);
  });

  it.each([
    ['a UUID', '3f2504e0-4f89-41d3-9a63-83e9e3bd0c47'],
    ['an upper-case UUID', '3F2504E0-4F89-41D3-9A63-83E9E3BD0C47'],
    ['a ULID', '01ARZ3NDEKTSV4RRFFQ69G5FAV'],
    ['a W3C trace id', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['a traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['a short id', 'req-123'],
    ['a dotted id with a colon', 'checkout.v2:42'],
    ['a webhook id', '65a0f1c2e4b0a1b2c3d4e501'],
    ['a word ending in sk', 'task_42'],
    ['a GraphQL type name', 'WebhookRequestConfigInput'],
    ['a 19-character mixed run', 'aB3dE5fG7hJ9kL1mN3p'],
    ['a placeholder in our own messages', 'Authorization: Bearer <key>'],
  ])('not %s: %s', (_, text) => {
    expect(isSecretShaped(text)).toBe(false);
  });
});

describe('scrubSecretShapes', () => {
  it('replaces each secret-shaped part and keeps the rest', () => {
    expect(
      scrubSecretShapes(
        'key sk_live_abc-1 secret whsec_x, Bearer t.o+k/en== and aB3dE5fG7hJ9kL1mN3pQ5 for 65a0f1c2e4b0a1b2c3d4e501',
        '[x]',
      ),
    ).toBe('key [x] secret [x], Bearer [x] and [x] for 65a0f1c2e4b0a1b2c3d4e501');
  });

  it('is idempotent', () => {
    const once = scrubSecretShapes('Bearer sk_live_1 aB3dE5fG7hJ9kL1mN3pQ5', '[redacted]');
    expect(scrubSecretShapes(once, '[redacted]')).toBe(once);
  });
});
