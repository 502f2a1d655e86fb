/**
 * `npm run bench -- --hostile`: the attacks, as the red team described them (issue "Survive
 * hostile load", item 6), and their sizes. Every size is a constant here, at full size;
 * `--hostile-scale <f>` multiplies the connection and request counts (at least 1 each), and the
 * combined phase `all` runs every attack at once at `ALL_SCALE` of that.
 *
 * The attacks run in a child process of their own (scripts/bench/attacker.ts), never in the
 * bench process that times the tenant. This file only describes them: importing it starts
 * nothing.
 */

/** R01 parse-cache flood: distinct query texts of ~1,000 tokens, no Authorization. */
export const R01 = {
  /** Query texts sent, one after another on each connection, as fast as they are answered. */
  requests: 2_000,
  connections: 4,
  /**
   * `{ __typename … }` with this many fields: 998 tokens with the braces, under the gateway's
   * 1,000-token limit (GRAPHQL_MAX_TOKENS). Each text then gets its own amount of trailing
   * whitespace (request i: i + 1 spaces), so no two are the same text and none has a string.
   */
  fields: 996,
};

/** R02 large variables: bodies just under the 1,000,000-byte limit, padding in `variables`. */
export const R02 = {
  /** Requests in flight at all times (each connection sends the next as soon as it is answered). */
  connections: 24,
  /** Bytes of each body (MAX_REQUEST_BODY_BYTES is 1,000,000): `{"pad":[[],[],…]}` + spaces. */
  bodyBytes: 999_900,
  query: 'query($pad: [[Int]]) { webhooks(first: 1) { nodes { id } } }',
};

/** R03 starvation by invalid keys: 10 aliased list fields per request, made-up keys. */
export const R03 = {
  connections: 30,
  /** Aliased `webhooks(first: 1) { nodes { id } }` fields per request (GRAPHQL_MAX_ALIASES: 15). */
  aliases: 10,
};

/** R04 refused requests whose chunked body keeps coming, over raw TCP. */
export const R04 = {
  /** Connections streaming at once, re-opened as soon as the gateway closes one. */
  connections: 8,
  /** Bytes of data per chunk written (each framed as one HTTP chunk). */
  chunkBytes: 64 * 1024,
};

/** R06 connection flood and slowloris, held open and re-opened when closed. */
export const R06 = {
  /** Connections that send nothing at all. */
  idle: 1_000,
  /** Connections that send one byte of a never-ending request head per second. */
  drip: 200,
  dripEveryMs: 1_000,
};

/** R07 one key provoking upstream failures, as fast as it is answered. */
export const R07 = {
  connections: 8,
  query: '{ webhooks(first: 10) { nodes { id } } }',
};

/**
 * The combined phase `all`: every attack at once, each at this fraction of its size. Full size:
 * on the 2-core development machine the attacker process used ~3 % of a core in that phase (the
 * gateway, not the load generator, is what limits it); lower it where the attackers cannot keep up.
 */
export const ALL_SCALE = 1;
/** The R03 variant the combined phase runs. */
export const ALL_R03 = 'R03a';

export const ATTACK_NAMES = ['R01', 'R02', 'R03a', 'R03b', 'R04', 'R06', 'R07'] as const;
export type AttackName = (typeof ATTACK_NAMES)[number];
/** What `--hostile-attacks` accepts: the attacks, and `all` for every one at once. */
export const PHASE_NAMES = [...ATTACK_NAMES, 'all'] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

const TITLES: Record<PhaseName, (scale: number) => string> = {
  R01: (k) =>
    `parse-cache flood: ${scaled(R01.requests, k)} distinct ~1,000-token texts, no key, ${scaled(R01.connections, k)} conns`,
  R02: (k) =>
    `large variables: ${scaled(R02.connections, k)} × ${(R02.bodyBytes / 1e6).toFixed(2)} MB bodies in flight`,
  R03a: (k) =>
    `invalid keys: ${scaled(R03.connections, k)} conns × ${R03.aliases} aliased lists, new key per request`,
  R03b: (k) =>
    `invalid keys: ${scaled(R03.connections, k)} conns × ${R03.aliases} aliased lists, one key per conn`,
  R04: (k) =>
    `refused requests, chunked body streaming on: ${scaled(R04.connections, k)} raw TCP conns`,
  R06: (k) =>
    `connection flood: ${scaled(R06.idle, k)} idle + ${scaled(R06.drip, k)} slowloris conns`,
  R07: (k) =>
    `one key's calls answered 307 / cut 200 by Featurebase: ${scaled(R07.connections, k)} conns`,
  all: (k) =>
    `every attack at once${k * ALL_SCALE === 1 ? ', at full size' : `, sizes × ${k * ALL_SCALE}`} (R03 as ${ALL_R03})`,
};

/** One line saying what a phase does, with its sizes after `--hostile-scale`. */
export function attackTitle(phase: PhaseName, scale = 1): string {
  return TITLES[phase](scale);
}

/** What the attacker child is told (its only argument, as JSON). */
export interface AttackerConfig {
  gatewayUrl: string;
  attacks: AttackName[];
  /** Multiplies every connection and request count (at least 1 each). */
  scale: number;
  /** The longest the attack may last; the bench ends it earlier with SIGINT. */
  seconds: number;
  /** The upstream's keys whose calls it answers unusably (R07). */
  faultyKeys: string[];
}

/** One attack's account of what it did, printed by the attacker child at the end. */
export interface AttackReport {
  attack: AttackName;
  /** Requests whose answer (or failure) arrived, by HTTP status, or by error code. */
  requests: number;
  byStatus: Record<string, number>;
  /** Requests or connections that failed without an answer, by error code (ECONNRESET…). */
  errors: Record<string, number>;
  /** GraphQL `extensions.code` of the errors in the answers, counted. */
  graphqlCodes: Record<string, number>;
  /** Bytes the attacker handed to its sockets (request heads and bodies). */
  bytesSent: number;
  connections: {
    opened: number;
    /** Closed by the gateway (or by its death) before the attacker stopped. */
    closedByGateway: number;
    /** Still open when the attack stopped. */
    openAtEnd: number;
    /** Most connections open at one time. */
    peakOpen: number;
    /** How long the connections the gateway closed had stayed open. */
    lifetimeMs: { median: number; max: number } | undefined;
    /** How long the connections still open at the end had been open. */
    openAtEndAgeMs: { median: number; max: number } | undefined;
  };
  /** Attack-specific facts worth reading (e.g. the status lines the gateway answered). */
  notes: string[];
}

export const ATTACKER_READY = /BENCH_ATTACKER_READY/;
export const ATTACKER_RESULT = /BENCH_ATTACKER_RESULT (\[.*\])\n/;

/** A size after `scale`, never below 1. */
export function scaled(size: number, scale: number): number {
  return Math.max(1, Math.round(size * scale));
}
