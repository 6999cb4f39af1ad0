import { chmodSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { AGENT_VERSION } from '../version.ts';

/**
 * Builds the agent into one file that runs with plain `node` and no node_modules: its two dependencies (yaml,
 * zod) are inlined, Node's own modules stay imports. `npm run build:agent` writes dist/strata-agent.mjs; a path
 * argument writes there instead.
 */

const ROOT = resolve(import.meta.dirname, '../../..');
export const DEFAULT_BUNDLE = resolve(ROOT, 'dist/strata-agent.mjs');

export async function buildAgentBundle(outfile = DEFAULT_BUNDLE): Promise<{ path: string; bytes: number }> {
  await build({
    entryPoints: [resolve(ROOT, 'ingest/agent/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // Readable stack traces from a host matter more than the bytes minifying would save.
    minify: false,
    sourcemap: false,
    legalComments: 'inline',
    banner: {
      js: [
        '#!/usr/bin/env node',
        `// Strata agent ${AGENT_VERSION}, built from ingest/agent into one file. Run: node strata-agent.mjs --config agent.yaml`,
        // yaml's Node build is CommonJS and requires Node's own modules (\`process\`): an ES module has no
        // \`require\`, so the bundle makes one, which esbuild's shim for those calls then uses.
        "import { createRequire as __strataCreateRequire } from 'node:module';",
        'const require = __strataCreateRequire(import.meta.url);',
      ].join('\n'),
    },
    logLevel: 'warning',
  });
  chmodSync(outfile, 0o755);
  return { path: outfile, bytes: statSync(outfile).size };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === import.meta.filename) {
  const { path, bytes } = await buildAgentBundle(process.argv[2] === undefined ? undefined : resolve(process.argv[2]));
  process.stdout.write(`wrote ${path} (${(bytes / 1024).toFixed(0)} KiB): run it with \`node ${path} --config agent.yaml\`\n`);
}
