/**
 * Every endpoint against every kind of caller: a table with one row per route of the node. A route added without
 * a row fails the first test, so the table grows with the API. Each row names a request to send and who may make
 * it; everyone else must be refused by the security layer: 401 without credentials, 403 with too few rights.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeRoutes } from '../server.ts';
import { ADMIN_AUTH, adminFetch, ingest, postJson, startTestNode, type TestNode } from '../testing.ts';

type Who = 'anonymous' | 'admin' | 'editor' | 'viewer' | 'web_reader' | 'key_ingest_web' | 'key_read_app';
const IDENTITIES: Who[] = ['anonymous', 'admin', 'editor', 'viewer', 'web_reader', 'key_ingest_web', 'key_read_app'];

const PUBLIC: Who[] = IDENTITIES;
const ANY: Who[] = ['admin', 'editor', 'viewer', 'web_reader', 'key_ingest_web', 'key_read_app'];
const READERS: Who[] = ['admin', 'editor', 'viewer', 'web_reader', 'key_read_app'];
const WEB_READERS: Who[] = ['admin', 'editor', 'viewer', 'web_reader'];
const WEB_INGEST: Who[] = ['admin', 'key_ingest_web'];
const VIEWERS: Who[] = ['admin', 'editor', 'viewer', 'web_reader'];
const EDITORS: Who[] = ['admin', 'editor'];
const ADMIN: Who[] = ['admin'];

interface Row {
  /** The request: method, path (with query), body. */
  req: [method: string, path: string, body?: unknown];
  allow: Who[];
}

const ND = 'application/x-ndjson';
const bulkBody = '{"index":{"_index":"web-m"}}\n{"message":"m"}\n';

/** Keyed by `METHOD pattern`, as routes declare themselves. */
const MATRIX: Record<string, Row> = {
  'GET ^\\/api\\/v1\\/health$': { req: ['GET', '/api/v1/health'], allow: PUBLIC },
  'POST ^\\/api\\/v1\\/indices\\/([^/]+)\\/ingest$': { req: ['POST', '/api/v1/indices/web-m/ingest', '{"message":"m"}\n'], allow: WEB_INGEST },
  'PUT ^\\/api\\/v1\\/indices\\/([^/]+)$': { req: ['PUT', '/api/v1/indices/web-1', {}], allow: ADMIN },
  'PUT ^\\/api\\/v1\\/indices\\/([^/]+)\\/settings$': { req: ['PUT', '/api/v1/indices/web-1/settings', {}], allow: ADMIN },
  'GET ^\\/api\\/v1\\/indices$': { req: ['GET', '/api/v1/indices'], allow: READERS },
  'POST ^\\/api\\/v1\\/indices\\/([^/]+)\\/flush$': { req: ['POST', '/api/v1/indices/web-1/flush'], allow: ADMIN },
  'POST ^\\/api\\/v1\\/search$': { req: ['POST', '/api/v1/search', { index: '*', query: 'm' }], allow: READERS },
  'GET ^\\/metrics$': { req: ['GET', '/metrics'], allow: ADMIN },
  'POST ^\\/api\\/v1\\/security\\/sessions$': { req: ['POST', '/api/v1/security/sessions', {}], allow: PUBLIC },
  'DELETE ^\\/api\\/v1\\/security\\/sessions\\/current$': { req: ['DELETE', '/api/v1/security/sessions/current'], allow: ANY },
  'GET ^\\/api\\/v1\\/security\\/me$': { req: ['GET', '/api/v1/security/me'], allow: ANY },
  'GET ^\\/api\\/v1\\/security\\/users$': { req: ['GET', '/api/v1/security/users'], allow: ADMIN },
  'POST ^\\/api\\/v1\\/security\\/users$': { req: ['POST', '/api/v1/security/users', { username: 'x' }], allow: ADMIN },
  'PUT ^\\/api\\/v1\\/security\\/users\\/([^/]+)$': { req: ['PUT', '/api/v1/security/users/nobody', { role: 'viewer' }], allow: ADMIN },
  'DELETE ^\\/api\\/v1\\/security\\/users\\/([^/]+)$': { req: ['DELETE', '/api/v1/security/users/nobody'], allow: ADMIN },
  'GET ^\\/api\\/v1\\/security\\/roles$': { req: ['GET', '/api/v1/security/roles'], allow: ADMIN },
  'PUT ^\\/api\\/v1\\/security\\/roles\\/([^/]+)$': { req: ['PUT', '/api/v1/security/roles/matrix', { indices: [{ indices: ['m-*'], actions: ['read'] }] }], allow: ADMIN },
  'DELETE ^\\/api\\/v1\\/security\\/roles\\/([^/]+)$': { req: ['DELETE', '/api/v1/security/roles/nobody'], allow: ADMIN },
  'GET ^\\/api\\/v1\\/security\\/api_keys$': { req: ['GET', '/api/v1/security/api_keys'], allow: ADMIN },
  'POST ^\\/api\\/v1\\/security\\/api_keys$': { req: ['POST', '/api/v1/security/api_keys', {}], allow: ADMIN },
  'DELETE ^\\/api\\/v1\\/security\\/api_keys\\/([^/]+)$': { req: ['DELETE', '/api/v1/security/api_keys/nokey'], allow: ADMIN },
  'GET ^\\/api\\/v1\\/pipelines$': { req: ['GET', '/api/v1/pipelines'], allow: VIEWERS },
  'PUT ^\\/api\\/v1\\/pipelines\\/([^/]+)$': { req: ['PUT', '/api/v1/pipelines/matrix', { processors: [] }], allow: EDITORS },
  'GET ^\\/api\\/v1\\/pipelines\\/([^/]+)$': { req: ['GET', '/api/v1/pipelines/nothing'], allow: VIEWERS },
  'DELETE ^\\/api\\/v1\\/pipelines\\/([^/]+)$': { req: ['DELETE', '/api/v1/pipelines/nothing'], allow: EDITORS },
  'POST ^\\/api\\/v1\\/pipelines\\/([^/]+)\\/_simulate$': { req: ['POST', '/api/v1/pipelines/_inline/_simulate', { pipeline: { processors: [] }, docs: [] }], allow: EDITORS },
  'GET ^\\/api\\/v1\\/fields$': { req: ['GET', '/api/v1/fields?index=*'], allow: READERS },
  'GET ^\\/api\\/v1\\/tail$': { req: ['GET', '/api/v1/tail?index=*'], allow: READERS },
  'GET ^\\/api\\/v1\\/context$': { req: ['GET', '/api/v1/context'], allow: READERS },
  'GET ^\\/api\\/v1\\/saved_searches$': { req: ['GET', '/api/v1/saved_searches'], allow: VIEWERS },
  'POST ^\\/api\\/v1\\/saved_searches$': { req: ['POST', '/api/v1/saved_searches', { name: 'm', query: '', index: 'web-1' }], allow: EDITORS },
  'GET ^\\/api\\/v1\\/saved_searches\\/([^/]+)$': { req: ['GET', '/api/v1/saved_searches/nothing'], allow: VIEWERS },
  'PUT ^\\/api\\/v1\\/saved_searches\\/([^/]+)$': { req: ['PUT', '/api/v1/saved_searches/nothing', {}], allow: EDITORS },
  'DELETE ^\\/api\\/v1\\/saved_searches\\/([^/]+)$': { req: ['DELETE', '/api/v1/saved_searches/nothing'], allow: EDITORS },
  'POST ^\\/api\\/v1\\/agents\\/heartbeat$': { req: ['POST', '/api/v1/agents/heartbeat', {}], allow: WEB_INGEST },
  'GET ^\\/api\\/v1\\/agents$': { req: ['GET', '/api/v1/agents'], allow: VIEWERS },
  'GET ^\\/api\\/v1\\/agents\\/enroll$': { req: ['GET', '/api/v1/agents/enroll'], allow: PUBLIC },
  'GET ^\\/api\\/v1\\/agents\\/enrollment_tokens$': { req: ['GET', '/api/v1/agents/enrollment_tokens'], allow: ADMIN },
  'POST ^\\/api\\/v1\\/agents\\/enrollment_tokens$': { req: ['POST', '/api/v1/agents/enrollment_tokens', {}], allow: ADMIN },
  'DELETE ^\\/api\\/v1\\/agents\\/enrollment_tokens\\/([^/]+)$': { req: ['DELETE', '/api/v1/agents/enrollment_tokens/nothing'], allow: ADMIN },
  'DELETE ^\\/api\\/v1\\/agents\\/([^/]+)$': { req: ['DELETE', '/api/v1/agents/nothing'], allow: ADMIN },
  'POST ^\\/loki\\/api\\/v1\\/push$': { req: ['POST', '/loki/api/v1/push?index=web-m', { streams: [] }], allow: WEB_INGEST },
  'POST ^\\/v1\\/logs$': { req: ['POST', '/v1/logs?index=web-m', { resourceLogs: [] }], allow: WEB_INGEST },
  'GET ^\\/$': { req: ['GET', '/'], allow: ANY },
  'GET ^\\/_license$': { req: ['GET', '/_license'], allow: ANY },
  'GET ^\\/_xpack$': { req: ['GET', '/_xpack'], allow: ANY },
  'GET ^\\/_cluster\\/health(?:\\/[^/]*)?$': { req: ['GET', '/_cluster/health'], allow: ANY },
  'GET ^\\/_cat\\/health$': { req: ['GET', '/_cat/health'], allow: ANY },
  'GET ^\\/_nodes(?:\\/[^/]+)*$': { req: ['GET', '/_nodes'], allow: ANY },
  'GET ^\\/_(?:index_template|template|component_template|ilm\\/policy|ingest\\/pipeline)(?:\\/([^/]*))?$': { req: ['GET', '/_index_template/x'], allow: ANY },
  'PUT ^\\/_(?:index_template|template|component_template|ilm\\/policy|ingest\\/pipeline)\\/[^/]+$': { req: ['PUT', '/_index_template/x', {}], allow: WEB_INGEST },
  'POST ^\\/_(?:index_template|template|component_template|ilm\\/policy|ingest\\/pipeline)\\/[^/]+$': { req: ['POST', '/_ilm/policy/x', {}], allow: WEB_INGEST },
  'DELETE ^\\/_(?:index_template|template|component_template|ilm\\/policy|ingest\\/pipeline)\\/[^/]+$': { req: ['DELETE', '/_template/x'], allow: WEB_INGEST },
  'POST ^\\/(?:[^/_][^/]*\\/)?_refresh$': { req: ['POST', '/web-1/_refresh'], allow: WEB_INGEST },
  'POST ^\\/_bulk$': { req: ['POST', '/_bulk', bulkBody], allow: WEB_INGEST },
  'PUT ^\\/_bulk$': { req: ['PUT', '/_bulk', bulkBody], allow: WEB_INGEST },
  'POST ^\\/([^/_][^/]*)\\/_bulk$': { req: ['POST', '/web-m/_bulk', '{"index":{}}\n{"message":"m"}\n'], allow: WEB_INGEST },
  'PUT ^\\/([^/_][^/]*)\\/_bulk$': { req: ['PUT', '/web-m/_bulk', '{"index":{}}\n{"message":"m"}\n'], allow: WEB_INGEST },
  'POST ^\\/([^/_][^/]*)\\/_doc$': { req: ['POST', '/web-m/_doc', { message: 'm' }], allow: WEB_INGEST },
  'PUT ^\\/([^/_][^/]*)\\/_doc\\/([^/]+)$': { req: ['PUT', '/web-m/_doc/d1', { message: 'm' }], allow: WEB_INGEST },
  'PUT ^\\/([^/_][^/]*)\\/_create\\/([^/]+)$': { req: ['PUT', '/web-m/_create/c1', { message: 'm' }], allow: WEB_INGEST },
  'POST ^\\/([^/_][^/]*)\\/_doc\\/([^/]+)$': { req: ['POST', '/web-m/_doc/d2', { message: 'm' }], allow: WEB_INGEST },
  'POST ^\\/([^/_][^/]*)\\/_create\\/([^/]+)$': { req: ['POST', '/web-m/_create/c2', { message: 'm' }], allow: WEB_INGEST },
  'PUT ^\\/([^/_][^/]*)$': { req: ['PUT', '/web-new'], allow: WEB_INGEST },
  'GET ^\\/([^/_][^/]*)$': { req: ['GET', '/web-1'], allow: WEB_READERS },
};

type Outcome = 'unauthenticated' | 'forbidden' | 'served';

describe('the endpoint matrix: every route, every kind of caller', () => {
  let node: TestNode;
  const auth = {} as Record<Who, string | null>;

  before(async () => {
    node = await startTestNode();
    assert.equal((await ingest(node.url, 'web-1', '{"message":"m web"}\n')).status, 200);
    assert.equal((await ingest(node.url, 'app-1', '{"message":"m app"}\n')).status, 200);
    const role = await adminFetch(`${node.url}/api/v1/security/roles/web_reader`, { method: 'PUT', body: JSON.stringify({ indices: [{ indices: ['web-*'], actions: ['read'] }] }) });
    assert.equal(role.status, 200, await role.text());
    for (const [username, r] of [['editor', 'editor'], ['viewer', 'viewer'], ['webby', 'web_reader']]) {
      const u = await postJson(`${node.url}/api/v1/security/users`, { username, password: `${username}-password`, role: r });
      assert.equal(u.status, 201, JSON.stringify(u.json));
    }
    const key = async (indices: string[], actions: string[]) => {
      const k = await postJson(`${node.url}/api/v1/security/api_keys`, { name: `matrix ${indices}`, privileges: [{ indices, actions }] });
      assert.equal(k.status, 201, JSON.stringify(k.json));
      return `ApiKey ${k.json.encoded}`;
    };
    const basic = (u: string) => `Basic ${Buffer.from(`${u}:${u}-password`).toString('base64')}`;
    Object.assign(auth, {
      anonymous: null,
      admin: ADMIN_AUTH,
      editor: basic('editor'),
      viewer: basic('viewer'),
      web_reader: basic('webby'),
      key_ingest_web: await key(['web-*'], ['ingest']),
      key_read_app: await key(['app-*'], ['read']),
    });
  });
  after(() => node.close());

  test('every route of the node has a row, and every row a route', () => {
    const routes = nodeRoutes({ engine: node.engine, security: node.security, log: () => {} }).map((r) => `${r.method} ${r.pattern.source}`);
    const missing = routes.filter((k) => !(k in MATRIX));
    assert.deepEqual(missing, [], 'routes without a row in the endpoint matrix: add one saying who may call each');
    assert.deepEqual(Object.keys(MATRIX).filter((k) => !routes.includes(k)), [], 'rows for routes that no longer exist');
    // Every route answers for itself in the table: a public route is one the table says everyone may call.
    for (const r of nodeRoutes({ engine: node.engine, security: node.security, log: () => {} })) {
      assert.equal(r.access === 'public', MATRIX[`${r.method} ${r.pattern.source}`].allow.includes('anonymous'), `${r.method} ${r.pattern.source}`);
    }
  });

  async function send(who: Who, [method, path, body]: Row['req']): Promise<{ outcome: Outcome; status: number; text: string }> {
    const headers: Record<string, string> = { authorization: auth[who] ?? '' };
    if (body !== undefined) headers['content-type'] = typeof body === 'string' ? ND : 'application/json';
    const ac = new AbortController();
    const res = await adminFetch(`${node.url}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), signal: ac.signal });
    // A live tail answers with a stream that does not end: its status is the answer.
    const text = res.headers.get('content-type')?.startsWith('text/event-stream') ? (ac.abort(), '') : await res.text();
    const challenged = (res.headers.get('www-authenticate') ?? '').startsWith('Basic realm="strata"');
    const outcome: Outcome = res.status === 401 && challenged ? 'unauthenticated' : res.status === 403 ? 'forbidden' : 'served';
    return { outcome, status: res.status, text };
  }

  // Refused callers go first, so that no row's allowed request has changed what the refused ones would see.
  for (const [key, row] of Object.entries(MATRIX)) {
    test(`${key.split(' ')[0]} ${row.req[1]}`, async () => {
      for (const who of IDENTITIES.filter((w) => !row.allow.includes(w))) {
        const r = await send(who, row.req);
        assert.equal(r.outcome, who === 'anonymous' ? 'unauthenticated' : 'forbidden', `${who}: ${r.status} ${r.text.slice(0, 300)}`);
      }
      for (const who of row.allow) {
        const r = await send(who, row.req);
        assert.equal(r.outcome, 'served', `${who}: ${r.status} ${r.text.slice(0, 300)}`);
        assert.ok(r.status < 500, `${who}: ${r.status} ${r.text.slice(0, 300)}`);
      }
    });
  }
});
