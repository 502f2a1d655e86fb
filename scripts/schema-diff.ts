/**
 * The logic of `npm run schema:check`: breaking changes between two SDLs, their acknowledgement
 * by `Schema-Breaking-Change:` trailers, and the checks of a git repository (working tree against
 * HEAD, and every commit that changed the committed schema against its parent).
 */

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { type Change, CriticalityLevel, diff } from '@graphql-inspector/core';
import { buildSchema, type GraphQLSchema } from 'graphql';

export const TRAILER_KEY = 'Schema-Breaking-Change';
export const DEFAULT_SCHEMA_PATH = 'schema/schema.graphql';

export interface SchemaChange {
  level: 'BREAKING' | 'DANGEROUS' | 'NON_BREAKING';
  /** What a trailer names: inspector's path (`Query.webhook`), or the change type when it has none. */
  path: string;
  message: string;
}

export class SdlError extends Error {}

function toSchema(sdl: string, label: string): GraphQLSchema {
  try {
    // Federation SDL uses directives it does not define (`@link`, `@key`): they are not ours to
    // validate, and inspector compares their usages from the AST all the same.
    return buildSchema(sdl, { assumeValidSDL: true });
  } catch (error) {
    throw new SdlError(
      `cannot read ${label}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function toSchemaChange(change: Change): SchemaChange {
  const level =
    change.criticality.level === CriticalityLevel.Breaking
      ? 'BREAKING'
      : change.criticality.level === CriticalityLevel.Dangerous
        ? 'DANGEROUS'
        : 'NON_BREAKING';
  // Root type changes (`SCHEMA_QUERY_TYPE_CHANGED`...) have no path; the type is still a name a
  // trailer can give.
  const path = change.path ?? String(change.type);
  // Inspector only calls it dangerous, but other subgraphs reference an entity by its key:
  // removing or changing a `@key` breaks every router query that crosses into it.
  if (/\.@key(\.|$)/.test(path) && /\bremoved\b/.test(change.message)) {
    return { level: 'BREAKING', path, message: change.message };
  }
  return { level, path, message: change.message };
}

export async function diffSdl(
  oldSdl: string,
  newSdl: string,
  labels: { old: string; new: string } = { old: 'the old schema', new: 'the new schema' },
): Promise<SchemaChange[]> {
  const changes = await diff(toSchema(oldSdl, labels.old), toSchema(newSdl, labels.new));
  return changes.map(toSchemaChange);
}

export async function findBreakingChanges(oldSdl: string, newSdl: string): Promise<SchemaChange[]> {
  return (await diffSdl(oldSdl, newSdl)).filter((change) => change.level === 'BREAKING');
}

/**
 * The paths named by `Schema-Breaking-Change:` lines. Any line of the message counts, not only
 * git's strict trailer block: a squash merge concatenates messages and moves trailers mid-body.
 */
export function acknowledgedPaths(commitMessage: string): Set<string> {
  const paths = new Set<string>();
  const line = new RegExp(`^\\s*${TRAILER_KEY}\\s*:\\s*([\\w.@]+)`, 'i');
  for (const text of commitMessage.split('\n')) {
    const path = line.exec(text)?.[1];
    if (path) paths.add(path);
  }
  return paths;
}

export function unacknowledged(changes: SchemaChange[], commitMessage: string): SchemaChange[] {
  const acknowledged = acknowledgedPaths(commitMessage);
  return changes.filter((change) => change.level === 'BREAKING' && !acknowledged.has(change.path));
}

export function trailerFor(change: SchemaChange): string {
  return `${TRAILER_KEY}: ${change.path} — <why>`;
}

export interface Finding {
  level: 'error' | 'warning' | 'note';
  text: string;
}

export interface CheckResult {
  ok: boolean;
  findings: Finding[];
  /** Commits that changed the committed schema and were compared with their parents. */
  commitsChecked: number;
}

export interface CheckOptions {
  /** Any directory inside the work tree; `schemaPath` is relative to it. */
  cwd: string;
  /** The SDL the code prints now. */
  currentSdl: string;
  schemaPath?: string;
}

// A git hook (or a test run from one) exports these; they would point every command at that
// repository instead of the one `cwd` is in.
const REPOSITORY_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR'];

function gitEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of REPOSITORY_ENV) delete env[name];
  return env;
}

export function runGit(cwd: string, args: string[], input?: string): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: gitEnv(),
    input: input ?? '',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function tryGit(cwd: string, args: string[]): string | null {
  try {
    return runGit(cwd, args);
  } catch {
    return null;
  }
}

interface CommitInfo {
  hash: string;
  short: string;
  parents: string[];
  subject: string;
  message: string;
}

function readCommit(cwd: string, hash: string): CommitInfo {
  const out = runGit(cwd, [
    'log',
    '-1',
    '--no-show-signature',
    '--format=%h%x00%P%x00%s%x00%B',
    hash,
  ]);
  const [short = hash, parents = '', subject = '', message = ''] = out.split('\0');
  return { hash, short, parents: parents.split(' ').filter(Boolean), subject, message };
}

function label(commit: CommitInfo): string {
  return `${commit.short} "${commit.subject}"`;
}

function shallowBoundary(cwd: string): Set<string> {
  if (tryGit(cwd, ['rev-parse', '--is-shallow-repository'])?.trim() !== 'true') return new Set();
  const file = tryGit(cwd, ['rev-parse', '--git-path', 'shallow'])?.trim();
  if (!file) return new Set();
  const path = isAbsolute(file) ? file : join(cwd, file);
  return new Set(existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);
}

function keyOf(change: SchemaChange): string {
  return `${change.path}\0${change.message}`;
}

export async function checkRepository(options: CheckOptions): Promise<CheckResult> {
  const { cwd, currentSdl } = options;
  const schemaPath = options.schemaPath ?? DEFAULT_SCHEMA_PATH;
  // `rev:./path` and pathspecs are relative to `cwd`, which need not be the top of the work tree.
  const gitPath = `./${schemaPath}`;
  const findings: Finding[] = [];
  const error = (text: string) => findings.push({ level: 'error', text });
  const warning = (text: string) => findings.push({ level: 'warning', text });
  const note = (text: string) => findings.push({ level: 'note', text });
  let commitsChecked = 0;

  const result = (): CheckResult => ({
    ok: !findings.some((finding) => finding.level === 'error'),
    findings,
    commitsChecked,
  });

  const file = join(cwd, schemaPath);
  const onDisk = existsSync(file) ? readFileSync(file, 'utf8') : null;
  if (onDisk === null) error(`${schemaPath} is missing: run \`npm run codegen\``);
  else if (onDisk !== currentSdl) error(`${schemaPath} is stale: run \`npm run codegen\``);

  if (tryGit(cwd, ['rev-parse', '--is-inside-work-tree'])?.trim() !== 'true') {
    warning(`not in a git work tree: breaking changes not checked`);
    return result();
  }

  try {
    const atHead = tryGit(cwd, ['show', `HEAD:${gitPath}`]);
    if (atHead !== null) {
      const changes = await diffSdl(atHead, currentSdl, {
        old: `${schemaPath} at HEAD`,
        new: 'the schema printed by the code',
      });
      const breaking = changes.filter((change) => change.level === 'BREAKING');
      for (const change of breaking) {
        error(`breaking change not yet committed: ${change.path} — ${change.message}`);
      }
      if (breaking.length > 0) {
        note('to make it anyway, commit it with one trailer per breaking change in the message:');
        for (const change of breaking) note(`  ${trailerFor(change)}`);
      }
      for (const change of changes.filter((change) => change.level === 'DANGEROUS')) {
        warning(`dangerous change not yet committed: ${change.path} — ${change.message}`);
      }
    }
  } catch (caught) {
    if (!(caught instanceof SdlError)) throw caught;
    error(caught.message);
  }

  const log = tryGit(cwd, [
    '-c',
    'log.follow=false',
    'log',
    '--full-history',
    '--no-show-signature',
    '--format=%H',
    '--',
    gitPath,
  ]);
  const boundary = shallowBoundary(cwd);
  for (const hash of (log ?? '').split('\n').filter(Boolean)) {
    const commit = readCommit(cwd, hash);
    if (commit.parents.length === 0) {
      if (boundary.has(hash)) {
        warning(
          `shallow clone: schema history before ${label(commit)} not checked (git fetch --unshallow)`,
        );
      }
      continue; // the schema was created here
    }
    // A commit that deleted the schema has nothing to compare; the staleness check catches that.
    const after = tryGit(cwd, ['show', `${hash}:${gitPath}`]);
    if (after === null) continue;
    try {
      // A merge is answerable only for what it changed relative to every parent; what came in
      // from one side was checked, with its own trailers, in that side's commits.
      let breaking: SchemaChange[] | null = null;
      for (const parent of commit.parents) {
        const before = tryGit(cwd, ['show', `${parent}:${gitPath}`]);
        if (before === null) {
          breaking = [];
          break;
        }
        const changes = (
          await diffSdl(before, after, {
            old: `${schemaPath} at ${parent.slice(0, commit.short.length)}`,
            new: `${schemaPath} at ${commit.short}`,
          })
        ).filter((change) => change.level === 'BREAKING');
        const keys = new Set(changes.map(keyOf));
        breaking =
          breaking === null ? changes : breaking.filter((change) => keys.has(keyOf(change)));
      }
      commitsChecked += 1;
      const missing = unacknowledged(breaking ?? [], commit.message);
      for (const change of missing) {
        error(
          `${label(commit)}: unacknowledged breaking change ${change.path} — ${change.message}`,
        );
      }
      if (missing.length > 0) {
        note(`add to the message of ${commit.short} (git commit --amend, or git rebase -i):`);
        for (const change of missing) note(`  ${trailerFor(change)}`);
      }
    } catch (caught) {
      if (!(caught instanceof SdlError)) throw caught;
      error(`${label(commit)}: ${caught.message}`);
    }
  }

  return result();
}

export function formatResult(result: CheckResult): string {
  const lines = result.findings.map((finding) =>
    finding.level === 'note' ? `  ${finding.text}` : `${finding.level}: ${finding.text}`,
  );
  const errors = result.findings.filter((finding) => finding.level === 'error').length;
  const warnings = result.findings.filter((finding) => finding.level === 'warning').length;
  const counts = `${errors} error(s), ${warnings} warning(s)`;
  lines.push(
    result.ok
      ? `schema:check: pass (${result.commitsChecked} schema commit(s) checked, ${warnings} warning(s))`
      : `schema:check: FAIL (${counts})`,
  );
  return `${lines.join('\n')}\n`;
}
