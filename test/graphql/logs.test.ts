/**
 * Logs at debug level never hold an API key or a webhook secret, even on failures.
 */

import { afterAll, describe, expect, it } from 'vitest';
import {
  CreateWebhookDocument,
  RotateWebhookSecretDocument,
} from '../../schema/generated/operations.ts';
import { SEED_WEBHOOK_IDS } from '../../src/simulator/index.ts';
import { API_KEY, captureLogger, startTestGateway } from '../support/gateway.ts';

const harness = await startTestGateway({ client: { retryBaseDelayMs: 1, retryMaxDelayMs: 2 } });
afterAll(() => harness.close());

const [id] = SEED_WEBHOOK_IDS as [string];

describe('logs', () => {
  it('hold neither the key nor any secret across a refresh, a create, and failures', async () => {
    const before = harness.simulator.peekWebhook(API_KEY, id)?.secret;
    const rotated = await harness.graphql(RotateWebhookSecretDocument, { id });
    const after = rotated.body.data?.refreshWebhookSecret.secret;
    const created = await harness.graphql(CreateWebhookDocument, {
      input: {
        name: 'Log check',
        url: 'https://example.com/x',
        topics: ['POST_CREATED'],
        requestConfig: { headers: [{ name: 'Authorization', value: 'Bearer receiver-token-123' }] },
      },
    });
    harness.simulator.injectFault({ status: 500, times: 3 });
    await harness.graphql(RotateWebhookSecretDocument, { id });
    await harness.graphql(`{ webhook(id: "${id}") { id } }`);
    await harness.graphql(`{ webhook(id: "${id}") { id } }`, undefined, {
      authorization: 'Bearer sk_wrong_key_456',
    });

    const logs = harness.logs();
    expect(before).toMatch(/^whsec_/);
    expect(after).toMatch(/^whsec_/);
    expect(logs).toContain('"level":"debug"');
    expect(logs).toContain('upstream attempt');
    expect(logs).toContain('"requestId"');
    for (const secret of [
      API_KEY,
      'sk_wrong_key_456',
      before,
      after,
      created.body.data?.createWebhook.secret,
      'receiver-token-123',
    ]) {
      expect(secret).toBeTruthy();
      expect(logs).not.toContain(secret);
    }
    expect(logs).not.toContain('whsec_');
  });

  it('redacts secret-bearing fields and text even if a log call passes them by mistake', () => {
    const { logger, captured: lines } = captureLogger();
    logger.debug(
      {
        webhook: { secret: 'whsec_oops', requestConfig: { headers: { a: 'b' } } },
        authorization: 'Bearer sk_x',
      },
      'mistake',
    );
    logger.error({ err: new Error('failed with whsec_abc and Bearer sk_live_123') }, 'boom');
    const output = lines.join('');
    expect(output).not.toContain('whsec_oops');
    expect(output).not.toContain('sk_x');
    expect(output).not.toContain('whsec_abc');
    expect(output).not.toContain('sk_live_123');
    expect(output).toContain('[Redacted]');
  });

  it('scrubs from error messages every shape src/telemetry/secret-shapes.ts names, random tokens included', () => {
    const { logger, captured: lines } = captureLogger();
    const token = 'aB3dE5fG7hJ9kL1mN3pQ5rS7';
    logger.error({ err: new Error(`refused ${token}, pk_live_42 and rk_test_42`) }, 'boom');
    const output = lines.join('');
    for (const secret of [token, 'pk_live_42', 'rk_test_42']) expect(output).not.toContain(secret);
    expect(output).toContain('refused [Redacted], [Redacted] and [Redacted]');
  });
});
