import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ByteWriter } from './bytes.ts';
import { DIGITS_KIND, groupVariables, type KindOf, ungroupVariables } from './variable-groups.ts';

const MIXED_KIND = 2;

interface Doc {
  key: number;
  vars: { kind: number; bytes: number[] }[];
}

/** The streams of the docs' variables, in the order given. */
function streams(vars: readonly { kind: number; bytes: number[] }[]) {
  const lens = new ByteWriter(16);
  const digits: number[] = [];
  const mixed: number[] = [];
  for (const v of vars) {
    lens.varint(v.bytes.length);
    (v.kind === DIGITS_KIND ? digits : mixed).push(...v.bytes);
  }
  return { lens: lens.result(), digits: Uint8Array.from(digits), mixed: Uint8Array.from(mixed) };
}

function args(docs: readonly Doc[]): [number[], number[], number, KindOf] {
  return [docs.map((d) => d.key), docs.map((d) => d.vars.length), docs.length, (d, _first, k) => docs[d].vars[k].kind];
}

/** The variables in slot order, computed the plain way: slots (key, k) by first sight, docs in order within. */
function bySlot(docs: readonly Doc[]) {
  const slots = new Map<string, Doc['vars']>();
  for (const d of docs) d.vars.forEach((v, k) => (slots.get(`${d.key}/${k}`) ?? slots.set(`${d.key}/${k}`, []).get(`${d.key}/${k}`)!).push(v));
  return [...slots.values()].flat();
}

const t = (s: string, kind = DIGITS_KIND) => ({ kind, bytes: [...Buffer.from(s)] });

test('variables go to slot order, (key, k) by first sight and docs in order within, and come back', () => {
  const docs: Doc[] = [
    { key: 7, vars: [t('081109'), t('blk1', MIXED_KIND)] },
    { key: 9, vars: [t('22')] },
    { key: 7, vars: [t('081110'), t('blk2', MIXED_KIND)] },
    { key: 0, vars: [] },
    { key: 9, vars: [t('80')] },
  ];
  const grouped = groupVariables(streams(docs.flatMap((d) => d.vars)), ...args(docs));
  assert.equal(Buffer.from(grouped.digits).toString(), '08110908111022' + '80');
  assert.equal(Buffer.from(grouped.mixed).toString(), 'blk1blk2');
  assert.deepEqual([...grouped.lens], [6, 6, 4, 4, 2, 2]);
  assert.deepEqual(ungroupVariables(grouped, ...args(docs)), streams(docs.flatMap((d) => d.vars)));
});

test('docs of one key with different numbers of variables are an error (a corrupt block)', () => {
  const docs: Doc[] = [
    { key: 3, vars: [t('1'), t('2')] },
    { key: 3, vars: [t('3')] },
  ];
  assert.throws(() => ungroupVariables(streams(docs.flatMap((d) => d.vars)), ...args(docs)), /different numbers of variables \(doc 1: 1, not 2\)/);
});

test('streams whose lengths do not add up are an error', () => {
  const docs: Doc[] = [{ key: 1, vars: [t('12')] }];
  const s = streams(docs[0].vars);
  assert.throws(() => ungroupVariables({ ...s, digits: s.digits.subarray(0, 1) }, ...args(docs)), /do not match/);
  assert.throws(() => groupVariables({ ...s, lens: Uint8Array.of(1) }, ...args(docs)), /do not match/);
});

test('grouping gives the slot order, and ungrouping restores doc order, for any docs (property)', () => {
  // A key fixes its docs' number and kinds of variables, as a template does; lengths cross the one-byte varint.
  const kindsArb = fc.array(fc.constantFrom(DIGITS_KIND, MIXED_KIND), { maxLength: 6 });
  const docsArb = fc.array(kindsArb, { minLength: 1, maxLength: 6 }).chain((keyKinds) =>
    fc.array(
      fc.integer({ min: 0, max: keyKinds.length - 1 }).chain((key) =>
        fc.tuple(fc.constant(key), fc.tuple(...keyKinds[key].map(() => fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 140 })))),
      ),
      { maxLength: 40 },
    ).map((docs) => docs.map(([key, vars]): Doc => ({ key: key * 1000, vars: vars.map((bytes, k) => ({ kind: keyKinds[key][k], bytes })) }))),
  );
  fc.assert(
    fc.property(docsArb, (docs) => {
      const inDocOrder = streams(docs.flatMap((d) => d.vars));
      const grouped = groupVariables(inDocOrder, ...args(docs));
      assert.deepEqual(grouped, streams(bySlot(docs)));
      assert.deepEqual(ungroupVariables(grouped, ...args(docs)), inDocOrder);
    }),
    { numRuns: 300 },
  );
});
