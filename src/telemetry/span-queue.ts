/**
 * The spans waiting for export, bounded: the SDK's `BatchSpanProcessor` (batches sent every
 * `scheduledDelayMs`, or as soon as a batch is full), with the bound counted here over the spans
 * waiting *and* those in an export not answered yet. The SDK's own bound covers the first only,
 * so a collector that answers slowly would otherwise let a second batch's worth pile up; and it
 * drops silently, where here every span lost is counted by reason:
 *
 * - `queue-full`: `maxQueueSize` spans were already waiting or being exported (the collector is
 *   slower than the traffic, or down); the newest span is dropped at once, the request never waits;
 * - `export-failed`: the collector refused a batch or did not answer within the export timeout
 *   (the exporter has retried what the OTLP specification says may be retried).
 *
 * Memory: at most `maxQueueSize` ended spans (a span of the gateway holds at most 8 short
 * attributes: about 1 KB), whatever the traffic.
 */

import { TraceFlags } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';

export type DroppedSpansReason = 'queue-full' | 'export-failed';

export interface SpanQueueSettings {
  /** Spans waiting or being exported, at most. */
  maxQueueSize: number;
  /** Spans per export. */
  maxExportBatchSize: number;
  /** The longest a span waits for a batch to fill. */
  scheduledDelayMs: number;
  /** The longest one export may take. */
  exportTimeoutMs: number;
  /** Told of every span lost before reaching the collector. */
  onDropped?: ((reason: DroppedSpansReason, count: number) => void) | undefined;
}

export function boundedSpanQueue(
  exporter: SpanExporter,
  settings: SpanQueueSettings,
): SpanProcessor {
  const { onDropped } = settings;
  /** Spans handed to the batch processor whose export has not ended yet. */
  let pending = 0;
  let closed = false;
  const counted: SpanExporter = {
    export(spans, done) {
      exporter.export(spans, (result) => {
        pending -= spans.length;
        if (result.code !== ExportResultCode.SUCCESS) onDropped?.('export-failed', spans.length);
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
  const batches = new BatchSpanProcessor({
    exporter: counted,
    maxQueueSize: settings.maxQueueSize,
    maxExportBatchSize: settings.maxExportBatchSize,
    scheduledDelayMillis: settings.scheduledDelayMs,
    exportTimeoutMillis: settings.exportTimeoutMs,
  });
  return {
    onStart: (span, parentContext) => batches.onStart(span, parentContext),
    onEnd(span: ReadableSpan) {
      // As the batch processor itself: spans not sampled are never exported.
      if (closed || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
      if (pending >= settings.maxQueueSize) {
        onDropped?.('queue-full', 1);
        return;
      }
      pending += 1;
      batches.onEnd(span);
    },
    forceFlush: () => batches.forceFlush(),
    shutdown() {
      closed = true;
      return batches.shutdown();
    },
  };
}
