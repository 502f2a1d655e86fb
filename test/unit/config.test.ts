/**
 * The production start guard of config.ts: production without an upstream is refused unless the
 * demo is asked for, with a message naming the variable.
 */

import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('production start', () => {
  it('refuses NODE_ENV=production without FEATUREBASE_API_URL, naming the variable and DEMO=1', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /FEATUREBASE_API_URL is required .* DEMO=1/,
    );
    expect(() => loadConfig({ NODE_ENV: 'production', DEMO: '0' })).toThrow(/FEATUREBASE_API_URL/);
  });

  it('starts the embedded simulator in production only when DEMO=1 asks for it', () => {
    expect(loadConfig({ NODE_ENV: 'production', DEMO: '1' }).upstreamUrl).toBeUndefined();
  });

  it('needs nothing more with an upstream, and nothing at all outside production', () => {
    const production = loadConfig({
      NODE_ENV: 'production',
      FEATUREBASE_API_URL: 'https://do.featurebase.app',
    });
    expect(production.upstreamUrl).toBe('https://do.featurebase.app');
    expect(loadConfig({}).upstreamUrl).toBeUndefined();
    expect(loadConfig({ NODE_ENV: 'development' }).upstreamUrl).toBeUndefined();
  });

  it('refuses a DEMO value that is neither on nor off', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DEMO: 'yes please' })).toThrow(/DEMO/);
  });
});

describe('the metrics listener', () => {
  it('is on loopback port 9464 by default, elsewhere when asked, and off with METRICS_PORT=off', () => {
    expect(loadConfig({}).metrics).toEqual({
      host: '127.0.0.1',
      port: 9464,
      maxOperationNames: 100,
    });
    expect(loadConfig({ METRICS_HOST: '0.0.0.0', METRICS_PORT: '9100' }).metrics).toEqual({
      host: '0.0.0.0',
      port: 9100,
      maxOperationNames: 100,
    });
    expect(loadConfig({ METRICS_PORT: 'off' }).metrics).toBeUndefined();
    expect(loadConfig({ METRICS_PORT: 'OFF' }).metrics).toBeUndefined();
    expect(() => loadConfig({ METRICS_PORT: 'none' })).toThrow(/METRICS_PORT/);
  });

  it('bounds the distinct operation names counted under their own name (METRICS_OPERATION_NAMES)', () => {
    expect(loadConfig({ METRICS_OPERATION_NAMES: '5' }).metrics?.maxOperationNames).toBe(5);
    expect(() => loadConfig({ METRICS_OPERATION_NAMES: '0' })).toThrow(/METRICS_OPERATION_NAMES/);
    expect(() => loadConfig({ METRICS_OPERATION_NAMES: 'lots' })).toThrow(/METRICS_OPERATION_NAMES/);
  });
});
