/** The admin page example's rule for which webhooks stand out as failing (examples/admin-page). */

import { describe, expect, it } from 'vitest';
import { failureReasons } from '../../examples/admin-page/page/health.ts';

const healthy = {
  status: 'ACTIVE' as const,
  health: {
    lastSuccessAt: '2026-01-15T10:30:00.000Z',
    errorsSinceLastSuccess: 0,
    consecutiveFailures: 0,
  },
  lastStatus: { code: 200, message: 'Success', timestamp: '2026-01-15T10:30:00.000Z' },
};

describe('admin page: failing webhooks', () => {
  it('leaves a healthy webhook, a paused one and one never delivered to alone', () => {
    expect(failureReasons(healthy)).toEqual([]);
    expect(failureReasons({ ...healthy, status: 'PAUSED' })).toEqual([]);
    expect(failureReasons({ ...healthy, lastStatus: null })).toEqual([]);
  });

  it('marks a suspended webhook, failures in a row, and an HTTP error as the last answer', () => {
    expect(failureReasons({ ...healthy, status: 'SUSPENDED' })).toEqual([
      'suspended by Featurebase',
    ]);
    expect(
      failureReasons({ ...healthy, health: { ...healthy.health, consecutiveFailures: 3 } }),
    ).toEqual(['3 failed deliveries in a row']);
    expect(
      failureReasons({ ...healthy, lastStatus: { ...healthy.lastStatus, code: 410 } }),
    ).toEqual(['last delivery answered HTTP 410']);
  });
});
