import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compileGlob, expandBraces, expandGlob, nameMatcher, pathRegExp } from './glob.ts';
import { tempDir } from './testing.ts';

const dir = tempDir('glob');
process.on('exit', () => dir.remove());
const files = ['a.log', 'b.log', 'c.txt', '.hidden.log', 'app.log.1', 'app.log.2.gz', 'x/d.log', 'x/y/e.log', 'x/y/z/f.log', 'x/.git/g.log', 'web-1/access.log', 'web-2/access.log', 'web-3/error.log'];
for (const f of files) {
  mkdirSync(dirname(join(dir.path, f)), { recursive: true });
  writeFileSync(join(dir.path, f), 'x\n');
}
symlinkSync(join(dir.path, 'a.log'), join(dir.path, 'link.log'));
symlinkSync(join(dir.path, 'x'), join(dir.path, 'x-link'));

async function check(pattern: string, want: string[]): Promise<void> {
  const got: string[] = [];
  for (const p of expandBraces(join(dir.path, pattern))) got.push(...(await expandGlob(compileGlob(p), () => {})));
  assert.deepEqual(got.map((p) => p.slice(dir.path.length + 1)).sort(), [...want].sort(), pattern);
  // The whole-path matcher agrees with the walk on every file there is.
  const res = expandBraces(join(dir.path, pattern)).map(pathRegExp);
  const matched = [...files, 'link.log'].filter((f) => res.some((re) => re.test(join(dir.path, f))));
  assert.deepEqual(matched.sort(), [...want].filter((f) => !f.startsWith('x-link/')).sort(), `${pattern} (path matcher)`);
}

test('globs match as a shell does, per path component', async () => {
  await check('*.log', ['a.log', 'b.log', 'link.log']);
  await check('.*.log', ['.hidden.log']);
  await check('?.log', ['a.log', 'b.log']);
  await check('[ab].log', ['a.log', 'b.log']);
  await check('[!a].log', ['b.log']);
  await check('app.log*', ['app.log.1', 'app.log.2.gz']);
  await check('{a,c}.*', ['a.log', 'c.txt']);
  await check('web-*/access.log', ['web-1/access.log', 'web-2/access.log']);
  await check('web-{1,3}/*.log', ['web-1/access.log', 'web-3/error.log']);
  await check('**/*.log', ['a.log', 'b.log', 'link.log', 'x/d.log', 'x/y/e.log', 'x/y/z/f.log', 'web-1/access.log', 'web-2/access.log', 'web-3/error.log']);
  await check('x/**/f.log', ['x/y/z/f.log']);
  await check('x-link/*.log', ['x-link/d.log']);
  await check('a.log', ['a.log']);
  await check('none/*.log', []);
});

test('exclude names and brace expansion', () => {
  const excluded = nameMatcher(['*.gz', '*.{bz2,xz}', 'exact.log']);
  assert.deepEqual(['a.log.gz', 'a.bz2', 'a.xz', 'exact.log', 'a.log', 'gz'].map(excluded), [true, true, true, true, false, false]);
  assert.deepEqual(expandBraces('/a/{b,c{d,e}}/f'), ['/a/b/f', '/a/cd/f', '/a/ce/f']);
  assert.deepEqual(expandBraces('/a/{b}/f'), ['/a/{b}/f']);
  assert.throws(() => compileGlob('logs/*.log'), /must be absolute/);
});
