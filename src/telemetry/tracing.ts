/**
 * OpenTelemetry traces, when `config.tracing` is set (src/config.ts reads the `OTEL_*`
 * variables): a tracer provider of our own, its spans exported over OTLP/HTTP (protobuf or JSON)
 * through a bounded queue (`span-queue.ts`). Nothing is registered globally and nothing is
 * patched: the gateway makes its spans itself (`trace-spans.ts`) with the tracer made here. When
 * tracing is off, none of this is created, and no request does any tracing work.
 *
 * The exporter also honours the OTLP variables for TLS files (`OTEL_EXPORTER_OTLP_CERTIFICATE`,
 * `..._CLIENT_KEY`, `..._CLIENT_CERTIFICATE`), which it reads itself; everything else it is told.
 */

import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { TraceSampler, TracingConfig } from '../config.ts';
import { boundedSpanQueue, type DroppedSpansReason } from './span-queue.ts';
import { type OperationTracer, operationTracer } from './trace-spans.ts';

export interface Tracing {
  /** Starts the span of each GraphQL operation (the gateway's plugin calls it). */
  readonly operations: OperationTracer;
  /** Exports what is queued, then stops; resolves within the export timeout whatever happens. */
  shutdown(): Promise<void>;
}

export interface TracingEvents {
  /** Spans lost before reaching the collector (metrics, and a log line a second). */
  onDropped?: (reason: DroppedSpansReason, count: number) => void;
}

export function createTracing(config: TracingConfig, events: TracingEvents = {}): Tracing {
  const queue = boundedSpanQueue(otlpExporter(config), {
    ...config.queue,
    exportTimeoutMs: config.timeoutMs,
    onDropped: events.onDropped,
  });
  return tracingWith(queue, config, config.timeoutMs);
}

/**
 * Tracing with spans handed to `processor`: the OTLP queue above, or in tests an in-memory
 * exporter behind a `SimpleSpanProcessor`.
 */
export function tracingWith(
  processor: SpanProcessor,
  settings: Pick<TracingConfig, 'serviceName' | 'sampler'>,
  shutdownTimeoutMs = 10_000,
): Tracing {
  const provider = new TracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }),
    ),
    sampler: sampler(settings.sampler),
    spanProcessors: [processor],
    // The gateway sets at most 8 short attributes and no event; these only bound a mistake.
    spanLimits: {
      attributeCountLimit: 16,
      attributeValueLengthLimit: 256,
      eventCountLimit: 0,
      linkCountLimit: 0,
    },
  });
  return {
    operations: operationTracer(provider.getTracer('featurebase-webhooks-gateway')),
    shutdown: () => withinTime(provider.shutdown(), shutdownTimeoutMs),
  };
}

function otlpExporter(config: TracingConfig): SpanExporter {
  const options = {
    url: config.endpoint,
    headers: { ...config.headers },
    timeoutMillis: config.timeoutMs,
    compression:
      config.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
  };
  return config.protocol === 'http/json'
    ? new JsonTraceExporter(options)
    : new ProtobufTraceExporter(options);
}

function sampler(settings: TraceSampler): Sampler {
  const root =
    settings.root === 'always_on'
      ? new AlwaysOnSampler()
      : settings.root === 'always_off'
        ? new AlwaysOffSampler()
        : new TraceIdRatioBasedSampler(settings.ratio);
  // Parent-based: a caller's sampled flag decides; the root sampler decides for new traces.
  return settings.parentBased ? new ParentBasedSampler({ root }) : root;
}

/** Resolves when `work` settles or `ms` have passed, whichever comes first; never rejects. */
function withinTime(work: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    work.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}
