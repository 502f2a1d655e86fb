/**
 * config.ts: the production start guard (production without an upstream is refused unless the
 * demo is asked for, with a message naming the variable), the metrics listener, tracing from
 * the standard OpenTelemetry variables, and the per-operation budgets of upstream calls.
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
    expect(() => loadConfig({ METRICS_OPERATION_NAMES: 'lots' })).toThrow(
      /METRICS_OPERATION_NAMES/,
    );
  });
});

describe('tracing (the standard OTEL_* variables)', () => {
  const ENDPOINT = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };

  it('is off when nothing is set, with OTEL_TRACES_EXPORTER=none, and with OTEL_SDK_DISABLED=true', () => {
    expect(loadConfig({}).tracing).toBeUndefined();
    // Only an exporter or an endpoint turns it on: a service name or a sampler alone do not.
    expect(
      loadConfig({ OTEL_SERVICE_NAME: 'gw', OTEL_TRACES_SAMPLER: 'always_on' }).tracing,
    ).toBeUndefined();
    expect(loadConfig({ ...ENDPOINT, OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeUndefined();
    expect(loadConfig({ ...ENDPOINT, OTEL_SDK_DISABLED: 'true' }).tracing).toBeUndefined();
    expect(loadConfig({ ...ENDPOINT, OTEL_SDK_DISABLED: 'false' }).tracing).toBeDefined();
  });

  it('is on with an endpoint, with the defaults of the specification', () => {
    expect(loadConfig(ENDPOINT).tracing).toEqual({
      endpoint: 'http://127.0.0.1:4318/v1/traces',
      protocol: 'http/protobuf',
      headers: {},
      timeoutMs: 10_000,
      compression: 'none',
      serviceName: 'featurebase-webhooks-gateway',
      sampler: { root: 'always_on', parentBased: true, ratio: 1 },
      queue: { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMs: 5000 },
    });
  });

  it('is on with OTEL_TRACES_EXPORTER=otlp alone, to the default collector address', () => {
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).tracing?.endpoint).toBe(
      'http://localhost:4318/v1/traces',
    );
  });

  it('appends v1/traces to the general endpoint only, keeping a base path', () => {
    const endpoint = (env: Record<string, string>) => loadConfig(env).tracing?.endpoint;
    expect(endpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com/base/' })).toBe(
      'https://otel.example.com/base/v1/traces',
    );
    expect(endpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com/base' })).toBe(
      'https://otel.example.com/base/v1/traces',
    );
    expect(
      endpoint({
        ...ENDPOINT,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otel.example.com/custom/traces',
      }),
    ).toBe('https://otel.example.com/custom/traces');
  });

  it('reads protocol, timeout, compression, service name, sampler and queue, signal-specific first', () => {
    const tracing = loadConfig({
      ...ENDPOINT,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '3000',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_SERVICE_NAME: 'webhooks-gateway-eu',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_BSP_MAX_QUEUE_SIZE: '100',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    }).tracing;
    expect(tracing).toMatchObject({
      protocol: 'http/json',
      timeoutMs: 3000,
      compression: 'gzip',
      serviceName: 'webhooks-gateway-eu',
      sampler: { root: 'traceidratio', parentBased: true, ratio: 0.25 },
      queue: { maxQueueSize: 100, maxExportBatchSize: 10, scheduledDelayMs: 200 },
    });
    expect(loadConfig({ ...ENDPOINT, OTEL_TRACES_SAMPLER: 'always_off' }).tracing?.sampler).toEqual(
      { root: 'always_off', parentBased: false, ratio: 1 },
    );
  });

  it('reads the exporter headers, percent-decoded, the traces ones overriding the general ones', () => {
    expect(
      loadConfig({
        ...ENDPOINT,
        OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Basic%20dXNlcjpwYXNz, x-team = ops',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'X-Team=traces',
      }).tracing?.headers,
    ).toEqual({ authorization: 'Basic dXNlcjpwYXNz', 'x-team': 'traces' });
  });

  it('refuses a bad header without echoing its value (it may be a credential)', () => {
    const secret = 'sk_collector_secret_value';
    for (const headers of [`Authorization=Bearer\r\n${secret}`, `=${secret}`, `x=${secret}%ZZ`]) {
      let message = '';
      try {
        loadConfig({ ...ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS: headers });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        message = (error as Error).message;
      }
      expect(message).toMatch(/^OTEL_EXPORTER_OTLP_HEADERS/);
      expect(message).not.toContain(secret);
    }
  });

  it.each([
    [{ OTEL_TRACES_EXPORTER: 'zipkin' }, /OTEL_TRACES_EXPORTER must be otlp or none/],
    [{ OTEL_TRACES_EXPORTER: 'console' }, /console is not supported: stdout carries the JSON log/],
    [{ OTEL_TRACES_EXPORTER: 'otlp,none' }, /OTEL_TRACES_EXPORTER/],
    [{ OTEL_SDK_DISABLED: 'maybe' }, /OTEL_SDK_DISABLED must be true or false/],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' },
      /OTEL_EXPORTER_OTLP_ENDPOINT must use http/,
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' },
      /OTEL_EXPORTER_OTLP_ENDPOINT must be an absolute URL/,
    ],
    [
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://user:pw@otel.example.com/v1/traces' },
      /must not contain a user name or password/,
    ],
    [{ ...ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, /http\/protobuf or http\/json \(gRPC/],
    [{ ...ENDPOINT, OTEL_EXPORTER_OTLP_TIMEOUT: '-1' }, /OTEL_EXPORTER_OTLP_TIMEOUT/],
    [{ ...ENDPOINT, OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }, /gzip or none/],
    [{ ...ENDPOINT, OTEL_SERVICE_NAME: 'gw\u0007' }, /OTEL_SERVICE_NAME/],
    [{ ...ENDPOINT, OTEL_TRACES_SAMPLER: 'jaeger_remote' }, /OTEL_TRACES_SAMPLER must be one of/],
    [
      { ...ENDPOINT, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' },
      /OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1/,
    ],
    [{ ...ENDPOINT, OTEL_BSP_MAX_QUEUE_SIZE: '100000' }, /OTEL_BSP_MAX_QUEUE_SIZE/],
    [
      { ...ENDPOINT, OTEL_BSP_MAX_QUEUE_SIZE: '10', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '20' },
      /must not exceed OTEL_BSP_MAX_QUEUE_SIZE/,
    ],
  ])('refuses %o at start, naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads the sampler argument only for ratio samplers', () => {
    expect(
      loadConfig({
        ...ENDPOINT,
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '.5',
      }).tracing?.sampler,
    ).toEqual({ root: 'traceidratio', parentBased: false, ratio: 0.5 });
    expect(
      loadConfig({ ...ENDPOINT, OTEL_TRACES_SAMPLER_ARG: 'ignored' }).tracing?.sampler.ratio,
    ).toBe(1);
  });
});

describe('the per-operation budgets of upstream calls', () => {
  it('reads ENTITY_PAGES_PER_OPERATION (default 10, 1-100) apart from UPSTREAM_CALLS_PER_OPERATION', () => {
    expect(loadConfig({}).limits).toMatchObject({
      upstreamCallsPerOperation: 10,
      entityPagesPerOperation: 10,
    });
    expect(
      loadConfig({ ENTITY_PAGES_PER_OPERATION: '20', UPSTREAM_CALLS_PER_OPERATION: '5' }).limits,
    ).toMatchObject({ upstreamCallsPerOperation: 5, entityPagesPerOperation: 20 });
    for (const bad of ['0', '101', 'ten']) {
      expect(() => loadConfig({ ENTITY_PAGES_PER_OPERATION: bad })).toThrow(
        /ENTITY_PAGES_PER_OPERATION/,
      );
    }
  });
});

describe('REDIS_URL', () => {
  it('is unset by default: the state stays in memory', () => {
    expect(loadConfig({}).redisUrl).toBeUndefined();
    expect(loadConfig({ REDIS_URL: '  ' }).redisUrl).toBeUndefined();
  });

  it('takes redis:// and rediss:// URLs, with credentials and a database number', () => {
    for (const url of [
      'redis://127.0.0.1:6379/0',
      'redis://redis.internal',
      'rediss://gateway:s3cret@redis.example.com:6380/2',
      'redis://:s3cret@[::1]:6379',
    ]) {
      expect(loadConfig({ REDIS_URL: url }).redisUrl).toBe(url);
    }
  });

  it('refuses anything else, naming the variable and never repeating the URL (it may hold a password)', () => {
    for (const url of [
      'http://s3cret@127.0.0.1:6379',
      '127.0.0.1:6379',
      'redis://s3cret@',
      'redis://127.0.0.1:6379/s3cret',
      'redis://127.0.0.1:6379/0?password=s3cret',
      'redis://127.0.0.1:6379/0#s3cret',
      'unix:///var/run/redis.sock?s3cret',
    ]) {
      let message = '';
      try {
        loadConfig({ REDIS_URL: url });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        message = (error as Error).message;
      }
      expect(message, url).toMatch(/^REDIS_URL /);
      expect(message, url).not.toContain('s3cret');
    }
  });
});

describe('SHARED_STATE_SECRET', () => {
  it('is optional, and required with REDIS_URL in production, naming the variable', () => {
    expect(loadConfig({}).sharedStateSecret).toBeUndefined();
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).sharedStateSecret).toBeUndefined();
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        FEATUREBASE_API_URL: 'https://do.featurebase.app',
        REDIS_URL: 'redis://127.0.0.1:6379',
      }),
    ).toThrow(/^SHARED_STATE_SECRET is required/);
  });

  it('must be 32 characters or more, and is never repeated in the message', () => {
    const secret = 'a'.repeat(40);
    expect(loadConfig({ SHARED_STATE_SECRET: secret }).sharedStateSecret).toBe(secret);
    let message = '';
    try {
      loadConfig({ SHARED_STATE_SECRET: 'short-secret-value' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^SHARED_STATE_SECRET must be at least 32/);
    expect(message).not.toContain('short-secret-value');
  });
});
