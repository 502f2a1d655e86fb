/**
 * `npm run compose -- <subgraph>... [--out supergraph.graphql]`: composes this subgraph with
 * others into a Federation v2 supergraph SDL, for Hive Gateway or Apollo Router, with The Guild's
 * composition library (the same one the tests use). Each subgraph is `name=url`, its SDL read
 * live from `url` (`_service { sdl }`), or `name=url=file.graphql` to read the SDL from a file.
 * With no `webhooks=` argument, this project's committed SDL is used for a subgraph named
 * `webhooks` at http://127.0.0.1:4000/graphql.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';

interface Subgraph {
  name: string;
  url: string;
  sdl: string;
}

const OUR_SUBGRAPH = {
  name: 'webhooks',
  url: 'http://127.0.0.1:4000/graphql',
  sdlFile: new URL('../schema/schema.graphql', import.meta.url),
};

async function main(args: string[]): Promise<void> {
  const outIndex = args.indexOf('--out');
  const out = outIndex === -1 ? 'supergraph.graphql' : args[outIndex + 1];
  if (!out) throw new Error('--out needs a file name');
  const specs = args.filter((_, index) => index !== outIndex && index !== outIndex + 1);

  const subgraphs = await Promise.all(specs.map(loadSubgraph));
  if (!subgraphs.some((subgraph) => subgraph.name === OUR_SUBGRAPH.name)) {
    subgraphs.unshift({
      name: OUR_SUBGRAPH.name,
      url: OUR_SUBGRAPH.url,
      sdl: readFileSync(OUR_SUBGRAPH.sdlFile, 'utf8'),
    });
  }

  const result = composeServices(
    subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })),
  );
  if (result.errors) {
    for (const error of result.errors)
      process.stderr.write(`composition error: ${error.message}\n`);
    process.exit(1);
  }
  writeFileSync(out, result.supergraphSdl);
  process.stdout.write(
    `wrote ${out} from ${subgraphs.map(({ name, url }) => `${name} (${url})`).join(', ')}\n`,
  );
}

async function loadSubgraph(spec: string): Promise<Subgraph> {
  const [name, ...rest] = spec.split('=');
  const file = rest.length > 1 ? rest.pop() : undefined;
  const url = rest.join('=');
  if (!name || !/^https?:\/\//.test(url)) {
    throw new Error(`"${spec}" is not name=url or name=url=file.graphql`);
  }
  if (file) return { name, url, sdl: readFileSync(file, 'utf8') };
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
  });
  const body = (await response.json()) as { data?: { _service?: { sdl?: unknown } } };
  const sdl = body.data?._service?.sdl;
  if (typeof sdl !== 'string') throw new Error(`${url} did not answer _service { sdl }`);
  return { name, url, sdl };
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
