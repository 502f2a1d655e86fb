/**
 * A Relay connection over Featurebase's forward-only cursor pages.
 *
 * Featurebase gives one opaque `nextCursor` per page, but a Relay edge needs a cursor of its
 * own. Ours names a resume point: "the upstream page that starts at cursor C, after skipping S
 * items". Paging by `endCursor` always lands on a page boundary (S = 0), so it costs exactly one
 * upstream call per page, the same as calling Featurebase directly; resuming from an edge in the
 * middle of a page costs one call too (a slightly larger page, with the first S items dropped).
 */

import {
  type KnownWebhookStatus,
  LIMITS,
  WEBHOOK_STATUSES,
  type WireWebhook,
  type WireWebhookList,
} from '../upstream/wire.ts';
import { BadUserInputError } from './errors.ts';

export interface PageRequest {
  first?: number | null | undefined;
  after?: string | null | undefined;
  /** A Featurebase status name; anything else is refused before the call. */
  status?: string | null | undefined;
}

export interface WebhookEdge {
  cursor: string;
  node: WireWebhook;
}

export interface WebhookPage {
  edges: WebhookEdge[];
  pageInfo: {
    hasNextPage: boolean;
    /** Featurebase has no backward paging. */
    hasPreviousPage: false;
    startCursor: string | null;
    endCursor: string | null;
  };
}

interface ResumePoint {
  /** The upstream cursor of the page, null for the first page. */
  upstreamCursor: string | null;
  /** Items of that page already seen. */
  skip: number;
}

export interface UpstreamPageQuery {
  limit: number;
  cursor?: string;
  status?: KnownWebhookStatus;
}

/** What to ask Featurebase for, checked before any call. */
export function planPage(request: PageRequest): {
  first: number;
  resume: ResumePoint;
  query: UpstreamPageQuery;
} {
  const first = request.first ?? LIMITS.listLimitDefault;
  if (!Number.isInteger(first) || first < LIMITS.listLimitMin || first > LIMITS.listLimitMax) {
    throw new BadUserInputError(
      `first must be from ${LIMITS.listLimitMin} to ${LIMITS.listLimitMax}.`,
      'first',
    );
  }
  const resume = request.after ? decodeCursor(request.after) : { upstreamCursor: null, skip: 0 };
  const query: UpstreamPageQuery = { limit: Math.min(LIMITS.listLimitMax, resume.skip + first) };
  if (resume.upstreamCursor !== null) query.cursor = resume.upstreamCursor;
  if (request.status !== undefined && request.status !== null) {
    const status = WEBHOOK_STATUSES.find((known) => known === request.status);
    if (!status)
      throw new BadUserInputError('status must be ACTIVE, PAUSED or SUSPENDED.', 'status');
    query.status = status;
  }
  return { first, resume, query };
}

export function toPage(first: number, resume: ResumePoint, list: WireWebhookList): WebhookPage {
  const fetched = list.data;
  const edges = fetched.slice(resume.skip, resume.skip + first).map((node, offset) => {
    const seen = resume.skip + offset + 1;
    // After the last item of a page, resume from Featurebase's own next cursor.
    const cursor =
      seen === fetched.length && list.nextCursor
        ? encodeCursor({ upstreamCursor: list.nextCursor, skip: 0 })
        : encodeCursor({ upstreamCursor: resume.upstreamCursor, skip: seen });
    return { cursor, node };
  });
  const consumed = resume.skip + edges.length;
  return {
    edges,
    pageInfo: {
      hasNextPage: consumed < fetched.length || list.nextCursor !== null,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

function encodeCursor(point: ResumePoint): string {
  return Buffer.from(JSON.stringify([point.upstreamCursor, point.skip])).toString('base64url');
}

const CURSOR_MAX_LENGTH = 1024;
const INVALID_CURSOR =
  'after must be a cursor returned by this API (an endCursor or an edge cursor).';

function decodeCursor(cursor: string): ResumePoint {
  if (cursor.length > CURSOR_MAX_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new BadUserInputError(INVALID_CURSOR, 'after');
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new BadUserInputError(INVALID_CURSOR, 'after');
  }
  if (!Array.isArray(decoded) || decoded.length !== 2)
    throw new BadUserInputError(INVALID_CURSOR, 'after');
  const upstreamCursor: unknown = decoded[0];
  const skip: unknown = decoded[1];
  const validUpstream =
    upstreamCursor === null ||
    (typeof upstreamCursor === 'string' &&
      upstreamCursor.length > 0 &&
      upstreamCursor.length <= LIMITS.cursorMaxLength);
  if (
    !validUpstream ||
    typeof skip !== 'number' ||
    !Number.isInteger(skip) ||
    skip < 0 ||
    skip >= LIMITS.listLimitMax
  ) {
    throw new BadUserInputError(INVALID_CURSOR, 'after');
  }
  return { upstreamCursor, skip };
}
