import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { defaultBuildThreads, NodeConfigSchema, parseConfig } from './config.ts';

test('seal threads default to one a core on two cores or fewer, else every core but one, up to 4', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 8, 64].map(defaultBuildThreads), [1, 2, 2, 3, 4, 4, 4]);
});

test('a node config without build threads takes the default for this machine; one given is kept', () => {
  assert.equal(parseConfig(NodeConfigSchema, { dataDir: '/tmp/x' }, 'test').buildThreads, defaultBuildThreads(availableParallelism()));
  assert.equal(parseConfig(NodeConfigSchema, { dataDir: '/tmp/x', buildThreads: 3 }, 'test').buildThreads, 3);
});
