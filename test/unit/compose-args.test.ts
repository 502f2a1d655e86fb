/**
 * `npm run compose`'s command line (scripts/compose/args.ts): every subgraph is kept wherever
 * `--out` stands, and anything else is refused before a subgraph is fetched or a file written.
 * The script itself, run as a process, is tested in test/federation/compose-script.test.ts.
 */

import { describe, expect, it } from 'vitest';
import { DEFAULT_OUT, parseComposeArgs } from '../../scripts/compose/args.ts';

const INCIDENTS = 'incidents=http://127.0.0.1:4002/graphql';
const ALERTS = 'alerts=https://alerts.example.com/graphql=alerts.graphql';

const incidents = { name: 'incidents', url: 'http://127.0.0.1:4002/graphql', sdlFile: undefined };
const alerts = {
  name: 'alerts',
  url: 'https://alerts.example.com/graphql',
  sdlFile: 'alerts.graphql',
};

describe('parseComposeArgs keeps every subgraph', () => {
  it('without --out (the first one was once dropped), writing the default file', () => {
    expect(parseComposeArgs([INCIDENTS])).toEqual({
      kind: 'compose',
      out: DEFAULT_OUT,
      subgraphs: [incidents],
    });
    expect(parseComposeArgs([INCIDENTS, ALERTS])).toEqual({
      kind: 'compose',
      out: 'supergraph.graphql',
      subgraphs: [incidents, alerts],
    });
  });

  it.each([
    ['before', ['--out', 'out.graphql', INCIDENTS, ALERTS]],
    ['between', [INCIDENTS, '--out', 'out.graphql', ALERTS]],
    ['after', [INCIDENTS, ALERTS, '--out', 'out.graphql']],
    ['as --out=file', [INCIDENTS, '--out=out.graphql', ALERTS]],
  ])('with --out %s the subgraphs', (_where, args) => {
    expect(parseComposeArgs(args)).toEqual({
      kind: 'compose',
      out: 'out.graphql',
      subgraphs: [incidents, alerts],
    });
  });

  it('with none at all: only ours will be composed', () => {
    expect(parseComposeArgs([])).toEqual({ kind: 'compose', out: DEFAULT_OUT, subgraphs: [] });
    expect(parseComposeArgs(['--out', 'x.graphql'])).toEqual({
      kind: 'compose',
      out: 'x.graphql',
      subgraphs: [],
    });
  });

  it('reads a URL with "=" in its query when the SDL file is given after it', () => {
    expect(parseComposeArgs(['a=http://h/graphql?v=2=a.graphql'])).toMatchObject({
      subgraphs: [{ name: 'a', url: 'http://h/graphql?v=2', sdlFile: 'a.graphql' }],
    });
  });
});

describe('parseComposeArgs refuses', () => {
  it.each([
    [['--output', 'x.graphql', INCIDENTS], 'unknown option "--output"'],
    [[INCIDENTS, '--foo'], 'unknown option "--foo"'],
    [['-o', 'x.graphql'], 'unknown option "-o"'],
    [['--', INCIDENTS], 'unknown option "--"'],
  ])('an unknown option: %j', (args, message) => {
    expect(parseComposeArgs(args)).toEqual({ kind: 'usage-error', message });
  });

  it.each([
    ['incidents'],
    ['x.graphql'],
    ['=http://127.0.0.1:4002/graphql'],
    ['incidents='],
    ['incidents=127.0.0.1:4002'],
    ['incidents=ftp://127.0.0.1/graphql'],
    ['incidents=http://127.0.0.1:4002/graphql='],
  ])('a word that is not name=url or name=url=file: %j', (word) => {
    const parsed = parseComposeArgs([INCIDENTS, word]);
    expect(parsed).toMatchObject({ kind: 'usage-error' });
    expect(parsed).toHaveProperty(
      'message',
      expect.stringContaining(`"${word}" is not <name>=<url> or <name>=<url>=<file.graphql>`),
    );
  });

  it.each([
    [[INCIDENTS, '--out']],
    [['--out=', INCIDENTS]],
    [['--out', '--foo', INCIDENTS]],
    [['--out', '-', INCIDENTS]],
  ])('--out without a file name: %j', (args) => {
    expect(parseComposeArgs(args)).toEqual({
      kind: 'usage-error',
      message: '--out needs a file name',
    });
  });

  it('--out followed by a subgraph: the file name was forgotten', () => {
    expect(parseComposeArgs(['--out', INCIDENTS, ALERTS])).toEqual({
      kind: 'usage-error',
      message: `--out needs a file name, not the subgraph "${INCIDENTS}"`,
    });
  });

  it('--out given twice, even with the same file', () => {
    for (const args of [
      ['--out', 'a.graphql', INCIDENTS, '--out', 'b.graphql'],
      ['--out=a.graphql', '--out', 'a.graphql'],
    ]) {
      expect(parseComposeArgs(args)).toEqual({
        kind: 'usage-error',
        message: '--out is given more than once',
      });
    }
  });

  it('two subgraphs with the same name, whatever their URLs (ours included)', () => {
    expect(
      parseComposeArgs([INCIDENTS, ALERTS, 'incidents=http://other.example.com/graphql']),
    ).toEqual({ kind: 'usage-error', message: 'subgraph "incidents" is given more than once' });
    expect(
      parseComposeArgs(['webhooks=http://a.example.com/graphql', 'webhooks=http://a/graphql']),
    ).toEqual({ kind: 'usage-error', message: 'subgraph "webhooks" is given more than once' });
  });
});

describe('parseComposeArgs --help', () => {
  it.each([
    [['--help']],
    [['-h']],
    [[INCIDENTS, '--out', 'x.graphql', '-h']],
    [['--foo', '--help']],
  ])('asks for the usage: %j', (args) => {
    expect(parseComposeArgs(args)).toEqual({ kind: 'help' });
  });
});
