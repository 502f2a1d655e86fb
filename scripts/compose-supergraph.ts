/**
 * `npm run compose -- <subgraph>... [--out supergraph.graphql]`: composes this subgraph with
 * others into a Federation v2 supergraph SDL, for Hive Gateway or Apollo Router, with The Guild's
 * composition library (the same one the tests use). Each subgraph is `name=url`, its SDL read
 * live from `url` (`_service { sdl }`), or `name=url=file.graphql` to read the SDL from a file.
 * With no `webhooks=` argument, this project's committed SDL is used for a subgraph named
 * `webhooks` at http://127.0.0.1:4000/graphql. `--help` prints the usage
 * (scripts/compose/args.ts); exit codes: 2 for a usage error, 1 for any other failure.
 */

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { composeServices } from '@theguild/federation-composition';
import { COMPOSE_USAGE, parseComposeArgs, type SubgraphSpec } from './compose/args.ts';
import { type LoadedSubgraph, loadSubgraph } from './compose/load.ts';

const OUR_SUBGRAPH: SubgraphSpec = {
  name: 'webhooks',
  url: 'http://127.0.0.1:4000/graphql',
  sdlFile: fileURLToPath(new URL('../schema/schema.graphql', import.meta.url)),
};

async function main(args: string[]): Promise<number> {
  const parsed = parseComposeArgs(args);
  if (parsed.kind === 'help') {
    process.stdout.write(COMPOSE_USAGE);
    return 0;
  }
  if (parsed.kind === 'usage-error') {
    process.stderr.write(`compose: ${parsed.message}\n\n${COMPOSE_USAGE}`);
    return 2;
  }

  const specs = parsed.subgraphs.some((spec) => spec.name === OUR_SUBGRAPH.name)
    ? parsed.subgraphs
    : [OUR_SUBGRAPH, ...parsed.subgraphs];
  // Every subgraph is tried, so that one run names every one that is down, not only the first.
  const results = await Promise.allSettled(specs.map((spec) => loadSubgraph(spec)));
  const subgraphs: LoadedSubgraph[] = [];
  const failures: string[] = [];
  for (const result of results) {
    if (result.status === 'fulfilled') subgraphs.push(result.value);
    else failures.push(errorMessage(result.reason));
  }
  if (failures.length > 0) {
    for (const failure of failures) process.stderr.write(`compose: ${failure}\n`);
    return 1;
  }

  const result = composeServices(subgraphs);
  if (result.errors) {
    for (const error of result.errors) {
      process.stderr.write(`compose: composition error: ${error.message}\n`);
    }
    return 1;
  }
  try {
    writeFileSync(parsed.out, result.supergraphSdl);
  } catch (error) {
    process.stderr.write(`compose: cannot write the supergraph: ${errorMessage(error)}\n`);
    return 1;
  }
  process.stdout.write(
    `wrote ${parsed.out} from ${subgraphs.map(({ name, url }) => `${name} (${url})`).join(', ')}\n`,
  );
  return 0;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Every expected failure is reported above as a line: what gets here is a bug, stack and all.
    process.stderr.write(`compose: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
