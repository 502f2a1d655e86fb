/**
 * The span queue (src/telemetry/span-queue.ts): at most `maxQueueSize` spans waiting or in an
 * export not answered yet; beyond that the newest span is dropped at once and counted, and a
 * batch the collector refuses is counted too. Driven with an exporter whose answers the test
 * gives by hand: no clock involved.
 */

import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { type ReadableSpan, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { boundedSpanQueue, type DroppedSpansReason } from '../../src/telemetry/span-queue.ts';

/** An exporter that keeps each batch and its callback until the test answers it. */
function heldExporter() {
  const batches: { spans: ReadableSpan[]; answer: (result: ExportResult) => void }[] = [];
  const exporter: SpanExporter = {
    export: (spans, answer) => batches.push({ spans, answer }),
    shutdown: async () => {},
  };
  return { exporter, batches };
}

function setup(maxQueueSize: number) {
  const { exporter, batches } = heldExporter();
  const dropped: [DroppedSpansReason, number][] = [];
  const queue = boundedSpanQueue(exporter, {
    maxQueueSize,
    maxExportBatchSize: maxQueueSize,
    // Only a full batch or a flush sends anything.
    scheduledDelayMs: 600_000,
    exportTimeoutMs: 600_000,
    onDropped: (reason, count) => dropped.push([reason, count]),
  });
  const tracer = new TracerProvider({ spanProcessors: [queue] }).getTracer('test');
  const endSpans = (count: number) => {
    for (let index = 0; index < count; index++) tracer.startSpan(`span ${index}`).end();
  };
  return { queue, batches, dropped, endSpans };
}

describe('the span queue', () => {
  it('holds at most maxQueueSize spans, counting those in an unanswered export, and drops the newest', () => {
    const { batches, dropped, endSpans } = setup(3);
    endSpans(3);
    // A full batch goes at once; its spans still count until the collector answers.
    expect(batches.map((batch) => batch.spans.length)).toEqual([3]);
    endSpans(2);
    expect(dropped).toEqual([
      ['queue-full', 1],
      ['queue-full', 1],
    ]);

    // Answered: three places again, and no more.
    batches[0]?.answer({ code: ExportResultCode.SUCCESS });
    endSpans(3);
    expect(dropped).toHaveLength(2);
    endSpans(1);
    expect(dropped).toHaveLength(3);
  });

  it('counts the spans of a batch the collector refused, and frees their places', async () => {
    const { queue, batches, dropped, endSpans } = setup(3);
    endSpans(3);
    batches[0]?.answer({ code: ExportResultCode.FAILED, error: new Error('503') });
    expect(dropped).toEqual([['export-failed', 3]]);

    endSpans(1);
    const flushed = queue.forceFlush();
    expect(batches.map((batch) => batch.spans.length)).toEqual([3, 1]);
    batches[1]?.answer({ code: ExportResultCode.SUCCESS });
    await flushed;
    expect(dropped).toEqual([['export-failed', 3]]);
  });

  it('takes nothing more once shut down', async () => {
    const { queue, batches, dropped, endSpans } = setup(3);
    const stopped = queue.shutdown();
    await stopped;
    endSpans(5);
    expect(batches).toEqual([]);
    expect(dropped).toEqual([]);
  });
});
