/**
 * `npm run schema:check`: breaking changes between SDLs, their acknowledgement by trailers, and
 * the checks of a git repository — temporary ones built here, and this project's own.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { schema } from '../../schema/index.ts';
import { printSortedSchema } from '../../schema/print.ts';
import {
  acknowledgedPaths,
  type CheckResult,
  checkRepository,
  diffSdl,
  findBreakingChanges,
  formatResult,
  runGit,
  unacknowledged,
} from '../../scripts/schema-diff.ts';

const BASE = `type Query {
  webhook(id: ID): Webhook
  webhooks: [Webhook!]!
}

type Webhook {
  id: ID!
  name: String!
  topic: WebhookTopic!
}

enum WebhookTopic {
  POST_CREATED
  POST_DELETED
}
`;

const FEDERATION = `extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])

${BASE.replace('type Webhook {', 'type Webhook @key(fields: "id") {')}`;

const withoutName = (sdl: string) => sdl.replace('  name: String!\n', '');

async function breakingPaths(oldSdl: string, newSdl: string): Promise<string[]> {
  return (await findBreakingChanges(oldSdl, newSdl)).map((change) => change.path);
}

describe('findBreakingChanges', () => {
  it('finds a removed field, a nullable argument made required and a removed enum value', async () => {
    expect(await breakingPaths(BASE, withoutName(BASE))).toEqual(['Webhook.name']);
    expect(await breakingPaths(BASE, BASE.replace('(id: ID)', '(id: ID!)'))).toEqual([
      'Query.webhook.id',
    ]);
    expect(await breakingPaths(BASE, BASE.replace('  POST_DELETED\n', ''))).toEqual([
      'WebhookTopic.POST_DELETED',
    ]);
  });

  it('does not count an added field', async () => {
    const added = BASE.replace('  name: String!\n', '  name: String!\n  url: String\n');
    expect(await breakingPaths(BASE, added)).toEqual([]);
    expect((await diffSdl(BASE, added)).map((change) => change.level)).toEqual(['NON_BREAKING']);
  });

  it('reads federation subgraph SDL: @link and @key are no breaking change, fields still are', async () => {
    expect(await breakingPaths(BASE, FEDERATION)).toEqual([]);
    expect(await breakingPaths(FEDERATION, FEDERATION)).toEqual([]);
    expect(await breakingPaths(FEDERATION, withoutName(FEDERATION))).toEqual(['Webhook.name']);
    const levels = (await diffSdl(BASE, FEDERATION)).map((change) => change.level);
    expect(levels).toContain('DANGEROUS');
  });

  it('counts removing or changing an entity key as breaking: routers reference entities by it', async () => {
    const keyless = FEDERATION.replace(' @key(fields: "id")', '');
    expect(keyless).not.toBe(FEDERATION);
    expect(await breakingPaths(FEDERATION, keyless)).toEqual(['Webhook.@key']);
    const otherKey = FEDERATION.replace('@key(fields: "id")', '@key(fields: "name")');
    expect(await breakingPaths(FEDERATION, otherKey)).toEqual(['Webhook.@key.fields']);
  });
});

describe('unacknowledged', () => {
  const message = (trailers: string) => `Drop Webhook.name\n\nIt was never filled.\n\n${trailers}`;

  it('is acknowledged by a trailer that names the path', async () => {
    const changes = await findBreakingChanges(BASE, withoutName(BASE));
    const acknowledged = message('Schema-Breaking-Change: Webhook.name — never filled upstream\n');
    expect(unacknowledged(changes, acknowledged)).toEqual([]);
  });

  it('is not acknowledged by a trailer with another path, or by none', async () => {
    const changes = await findBreakingChanges(BASE, withoutName(BASE));
    expect(unacknowledged(changes, message('Schema-Breaking-Change: Webhook.id — oops'))).toEqual(
      changes,
    );
    expect(unacknowledged(changes, message('Signed-off-by: A <a@example.com>'))).toEqual(changes);
    expect(unacknowledged(changes, 'Webhook.name')).toEqual(changes);
  });

  it('takes the first token of each trailer as the path', () => {
    const paths = acknowledgedPaths(
      [
        'subject',
        '',
        'Schema-Breaking-Change: Query.webhook.id — now required',
        'schema-breaking-change:WebhookTopic.POST_DELETED—gone',
        'Schema-Breaking-Change: Webhook.name: never filled',
      ].join('\n'),
    );
    expect([...paths]).toEqual(['Query.webhook.id', 'WebhookTopic.POST_DELETED', 'Webhook.name']);
  });
});

describe('checkRepository on a temporary git repository', () => {
  const repositories: string[] = [];
  afterEach(() => {
    for (const directory of repositories.splice(0))
      rmSync(directory, { recursive: true, force: true });
  });

  function repository(): { dir: string; git: (...args: string[]) => string } {
    const dir = mkdtempSync(join(tmpdir(), 'schema-check-'));
    repositories.push(dir);
    const git = (...args: string[]) => runGit(dir, args);
    git('init', '-q');
    git('config', 'user.name', 'Schema Check Test');
    git('config', 'user.email', 'schema-check@example.com');
    git('config', 'commit.gpgsign', 'false');
    git('config', 'core.hooksPath', '/dev/null');
    return { dir, git };
  }

  function commitSchema(dir: string, sdl: string, message: string): void {
    mkdirSync(join(dir, 'schema'), { recursive: true });
    writeFileSync(join(dir, 'schema/schema.graphql'), sdl);
    runGit(dir, ['add', 'schema/schema.graphql']);
    runGit(dir, ['commit', '-q', '-F', '-'], message);
  }

  const errors = (result: CheckResult) =>
    result.findings.filter((finding) => finding.level === 'error').map((finding) => finding.text);

  it('fails on a commit that removes a field without a trailer', async () => {
    const { dir } = repository();
    commitSchema(dir, BASE, 'Add the schema');
    commitSchema(dir, withoutName(BASE), 'Drop Webhook.name\n\nNobody reads it.\n');

    const result = await checkRepository({ cwd: dir, currentSdl: withoutName(BASE) });

    expect(result.ok).toBe(false);
    expect(errors(result)).toEqual([
      expect.stringMatching(
        /^[0-9a-f]{7,} "Drop Webhook.name": unacknowledged breaking change Webhook\.name — /,
      ),
    ]);
    const report = formatResult(result);
    expect(report).toContain('Schema-Breaking-Change: Webhook.name — <why>');
    expect(report).toMatch(/schema:check: FAIL/);
  });

  it('passes when that commit has the trailer', async () => {
    const { dir } = repository();
    commitSchema(dir, BASE, 'Add the schema');
    commitSchema(
      dir,
      withoutName(BASE),
      'Drop Webhook.name\n\nNobody reads it.\n\nSchema-Breaking-Change: Webhook.name — never filled upstream\n',
    );

    const result = await checkRepository({ cwd: dir, currentSdl: withoutName(BASE) });

    expect(result).toMatchObject({ ok: true, findings: [], commitsChecked: 1 });
    expect(formatResult(result)).toMatch(/^schema:check: pass/);
  });

  it('fails on a breaking change in the working tree, with the trailers to commit it with', async () => {
    const { dir } = repository();
    commitSchema(dir, BASE, 'Add the schema');
    const changed = withoutName(BASE).replace('  POST_DELETED\n', '');
    writeFileSync(join(dir, 'schema/schema.graphql'), changed);

    const result = await checkRepository({ cwd: dir, currentSdl: changed });

    expect(result.ok).toBe(false);
    expect(errors(result)).toEqual([
      expect.stringMatching(/^breaking change not yet committed: Webhook\.name — /),
      expect.stringMatching(/^breaking change not yet committed: WebhookTopic\.POST_DELETED — /),
    ]);
    const report = formatResult(result);
    expect(report).toContain('Schema-Breaking-Change: Webhook.name — <why>');
    expect(report).toContain('Schema-Breaking-Change: WebhookTopic.POST_DELETED — <why>');
  });

  it('fails when the committed file is stale, and warns about dangerous changes', async () => {
    const { dir } = repository();
    commitSchema(dir, BASE, 'Add the schema');

    const result = await checkRepository({ cwd: dir, currentSdl: FEDERATION });

    expect(errors(result)).toEqual(['schema/schema.graphql is stale: run `npm run codegen`']);
    expect(result.findings.some((finding) => finding.level === 'warning')).toBe(true);
  });

  it('does not hold a merge to the changes its branch made and acknowledged', async () => {
    const { dir, git } = repository();
    const padded = BASE.replace('type Webhook {', 'type Webhook {\n  a: Int\n  b: Int\n  c: Int');
    commitSchema(dir, padded, 'Add the schema');
    const base = git('rev-parse', 'HEAD').trim();
    git('checkout', '-q', '-b', 'side');
    commitSchema(
      dir,
      withoutName(padded),
      'Drop Webhook.name\n\nSchema-Breaking-Change: Webhook.name — never filled upstream\n',
    );
    git('checkout', '-q', base);
    commitSchema(
      dir,
      padded.replace('  a: Int\n', '  a: Int\n  added: Int\n'),
      'Add Webhook.added',
    );
    git('merge', '-q', '--no-ff', '-m', 'Merge side', 'side');
    const merged = withoutName(padded).replace('  a: Int\n', '  a: Int\n  added: Int\n');

    const result = await checkRepository({ cwd: dir, currentSdl: merged });

    expect(result).toMatchObject({ ok: true, findings: [], commitsChecked: 3 });
  });

  it('warns, and does not fail, where a shallow clone has no history', async () => {
    const { dir } = repository();
    commitSchema(dir, BASE, 'Add the schema');
    commitSchema(dir, withoutName(BASE), 'Drop Webhook.name without a trailer');
    commitSchema(dir, `${withoutName(BASE)}\nscalar DateTime\n`, 'Add DateTime');
    const clone = mkdtempSync(join(tmpdir(), 'schema-check-shallow-'));
    repositories.push(clone);
    runGit(tmpdir(), ['clone', '-q', '--depth', '1', `file://${dir}`, clone]);

    const result = await checkRepository({
      cwd: clone,
      currentSdl: `${withoutName(BASE)}\nscalar DateTime\n`,
    });

    expect(result.ok).toBe(true);
    expect(result.findings).toEqual([
      {
        level: 'warning',
        text: expect.stringMatching(
          /^shallow clone: schema history before [0-9a-f]+ "Add DateTime" not checked/,
        ),
      },
    ]);
  });
});

describe('checkRepository on this project', () => {
  it('passes: the committed schema is current and its history acknowledges every breaking change', async () => {
    const result = await checkRepository({
      cwd: new URL('../../', import.meta.url).pathname,
      currentSdl: printSortedSchema(schema),
    });
    expect(result.findings.filter((finding) => finding.level === 'error')).toEqual([]);
    expect(result.ok).toBe(true);
  });
});
