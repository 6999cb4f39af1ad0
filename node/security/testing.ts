import { postJson } from '../testing.ts';

/** A new API key that may ingest into `indices` (default: any) and nothing else; its encoded form. */
export async function ingestKey(node: { url: string }, indices = ['*'], actions: ('ingest' | 'read')[] = ['ingest']): Promise<string> {
  const r = await postJson(`${node.url}/api/v1/security/api_keys`, { name: `test key ${indices.join(',')}`, privileges: [{ indices, actions }] });
  if (r.status !== 201) throw new Error(`creating an API key answered ${r.status}: ${JSON.stringify(r.json)}`);
  return r.json.encoded as string;
}
