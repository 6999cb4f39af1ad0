/**
 * The dashboard as a user meets it, on the bench corpus: how much JavaScript Discover ships on first load, how long
 * a cold load takes to show results, and how long Enter takes to turn into a rendered count and first row, next
 * to the same search sent bare to the node (what the UI adds over the API).
 *
 * Timing is taken inside the page (performance.now() and a MutationObserver armed at the keydown), so Playwright's
 * own round trips to the browser are not counted. Each timed Enter starts from a search with no hits, so the
 * count and the first row can only be the new answer's, even when a query is repeated or two totals are equal.
 *
 * The browser is signed in before any page loads: its context holds the `strata_session` cookie with a node
 * session token of the admin, as the sign-in page would leave it, so that what is timed is Discover and never a
 * redirect to /login. The bench's own requests to the node send the same session as `Bearer`, which is what the
 * dashboard's forwarder sends on the browser's behalf: the API and the UI are compared with the same credential.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type Browser, type BrowserContext, chromium, type Page, type Response } from '@playwright/test';
import playwrightConfig from '../e2e/playwright.config.ts';
import { ensureDashboardBuilt, startDashboard } from '../node/dashboard.ts';
import { CORPUS_SPAN_MS, CORPUS_START_MS, type Corpus } from './corpus.ts';
import { adminPost, type NodeProcess, startNodeProcess } from './node-process.ts';
import { PeerUnavailableError } from './peers/result.ts';
import { QUERY_SET } from './queries.ts';
import { formatBytes, formatMs, median, percentile, readPeakRssBytes, watchPeakRss } from './stats.ts';
import { ingestCorpus } from './strata.ts';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const INDEX = 'bench';
/** Untimed Enters per query before the timed ones: the node's term dictionaries, V8 and React tier up. */
export const DASHBOARD_WARMUP_RUNS = 2;
/** A term no line of the corpus holds: the state every timed Enter starts from. */
const RESET_QUERY = 'zzbenchnomatchzz';
const STEP_TIMEOUT_MS = 120_000;
/** The dashboard's session cookie (app/_server/session-cookie.ts): the node's session token, HttpOnly, SameSite=Strict. */
const SESSION_COOKIE = 'strata_session';

export interface DashboardQuery {
  readonly name: string;
  readonly query: string;
}

const fromSet = (name: string): DashboardQuery => {
  const q = QUERY_SET.find((x) => x.name === name);
  if (!q) throw new Error(`bench/queries.ts has no query named '${name}'`);
  return { name, query: q.strata };
};

/** The handful: a term, a phrase, a field filter, a prefix, NOT, and the empty query (every record). */
export const DASHBOARD_QUERIES: readonly DashboardQuery[] = [
  fromSet('term'),
  fromSet('phrase'),
  // The corpus's only field besides message; QUERY_SET has no field filter because its peers have no fields.
  { name: 'field', query: 'system:openssh' },
  fromSet('prefix'),
  fromSet('not'),
  { name: 'empty', query: '' },
];

export interface FirstLoad {
  /** JS responses of a cold /discover load: bytes on the wire (as sent, compressed) and decoded. */
  jsFiles: number;
  jsTransferredBytes: number;
  jsDecodedBytes: number;
  /** Every response of that load (HTML, JS, CSS, fonts, API answers). */
  allRequests: number;
  allTransferredBytes: number;
  allDecodedBytes: number;
  /** The Content-Encoding the JS came with (e.g. `gzip`), or `identity`. */
  jsEncodings: string[];
  /** Next's own first-load figure for the route from `next build` (.next/diagnostics), with our gzip of its chunks. */
  build: { chunks: number; uncompressedBytes: number; gzipBytes: number } | null;
}

export interface EnterResult {
  readonly name: string;
  readonly query: string;
  readonly total: number;
  /** keydown → the new count shown and the first row in the DOM. */
  readonly uiMedianMs: number;
  readonly uiP90Ms: number;
  /** keydown → the frame after that DOM change (painted). */
  readonly paintMedianMs: number;
  /** The node's took_ms for the UI's own requests. */
  readonly tookMedianMs: number;
  /** The UI's request body sent from Node with fetch, straight to the node and through the dashboard's proxy. */
  readonly apiMedianMs: number;
  readonly apiP90Ms: number;
  readonly proxyMedianMs: number;
  /**
   * The node's took_ms for the same body without the histogram's split (`level` by default, which this corpus
   * does not have): how much of the node's time the split costs.
   */
  readonly tookUnsplitMedianMs: number;
  /** Requests the browser made per Enter (the RSC fetch of the soft navigation, the search), and the last run's. */
  readonly requestsPerEnter: number;
  readonly requestList: readonly string[];
  /** Where the UI's time goes, medians from the page's Resource Timing: keydown → search request started. */
  readonly sentMedianMs: number;
  /** The search request as the browser saw it, start → last byte (through the dashboard's proxy). */
  readonly browserFetchMedianMs: number;
  /** Last byte of the answer → count and first row in the DOM (parse, React render, layout of the list). */
  readonly renderMedianMs: number;
}

export interface ColdLoad {
  readonly query: string;
  readonly total: number;
  /** From navigation start (the page's time origin), medians and p90 over fresh browser contexts. */
  readonly resultsMedianMs: number;
  readonly resultsP90Ms: number;
  readonly domContentLoadedMedianMs: number;
  readonly loadEventMedianMs: number;
  /** Navigation start → the search request started, and → its last byte. */
  readonly searchSentMedianMs: number;
  readonly searchAnsweredMedianMs: number;
}

export interface DashboardBenchResult {
  readonly lines: number;
  readonly runs: number;
  readonly ingestSeconds: number;
  readonly flushSeconds: number;
  readonly buildSeconds: number;
  readonly firstLoad: FirstLoad;
  readonly cold: ColdLoad;
  readonly enter: readonly EnterResult[];
  /** Peak RSS (VmHWM); the node's is split at the flush: ingest, then the dashboard phase alone. */
  readonly nodeIngestPeakRssBytes: number | null;
  readonly nodeQueryPeakRssBytes: number | null;
  readonly dashboardPeakRssBytes: number | null;
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
  readonly wallSeconds: number;
  readonly chromium: string;
  readonly notes: readonly string[];
}

export interface DashboardBenchOptions {
  readonly corpus: Corpus;
  readonly runs: number;
  readonly log: (m: string) => void;
}

/**
 * Runs in the page (a string, so the bundler's helpers around functions never reach the browser). `watch`
 * resolves once the count reads `label` and a row (or, for no hits, the empty state) is in the DOM, with the time
 * of that DOM change and of the next frame after it; `armEnter` starts such a watch at the next Enter keydown.
 */
const PROBE = `(() => {
  if (window.__strataBench) return;
  const ready = (label, wantRow) => {
    const c = document.querySelector('[data-testid=hit-count]');
    if (!c || c.textContent !== label) return false;
    return document.querySelector(wantRow ? '[data-testid=result-row]' : '[data-testid=no-results]') !== null;
  };
  const watch = (label, wantRow, start, timeoutMs) => new Promise((resolve, reject) => {
    let done = false;
    const check = () => {
      if (done || !ready(label, wantRow)) return;
      done = true;
      const dom = performance.now();
      obs.disconnect();
      clearTimeout(timer);
      requestAnimationFrame(() => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => {
          const paint = performance.now();
          const resources = performance.getEntriesByType('resource')
            .filter((e) => e.startTime >= start)
            .map((e) => ({ name: e.name, start: e.startTime, end: e.responseEnd }));
          resolve({ start, dom, paint, resources });
        };
        ch.port2.postMessage(0);
      });
    };
    const obs = new MutationObserver(check);
    obs.observe(document, { subtree: true, childList: true, characterData: true });
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      obs.disconnect();
      const c = document.querySelector('[data-testid=hit-count]');
      reject(new Error('waited ' + timeoutMs + ' ms for "' + label + '", the count reads "' + (c ? c.textContent : '(absent)') + '"'));
    }, timeoutMs);
    check();
  });
  const armEnter = (label, wantRow, timeoutMs) => {
    // The buffer holds 250 entries by default; a long run would fill it and drop the ones measured.
    performance.clearResourceTimings();
    window.__strataBench.pending = new Promise((resolve, reject) => {
      const onKey = (e) => {
        if (e.key !== 'Enter') return;
        window.removeEventListener('keydown', onKey, true);
        watch(label, wantRow, performance.now(), timeoutMs).then(resolve, reject);
      };
      window.addEventListener('keydown', onKey, true);
    });
  };
  window.__strataBench = { watch, armEnter, pending: null };
})();`;

interface Timing {
  start: number;
  dom: number;
  paint: number;
  /** Resource Timing entries that started at or after `start`, in the page's clock. */
  resources: { name: string; start: number; end: number }[];
}

/** The page's main search request within a timing, when the browser recorded it. */
function searchEntry(t: Timing): { start: number; end: number } | null {
  const hits = t.resources.filter((e) => new URL(e.name).pathname === '/api/v1/search' && e.end <= t.dom);
  return hits.at(-1) ?? null;
}

const hitsLabel = (n: number) => `${n.toLocaleString('en-US')} ${n === 1 ? 'hit' : 'hits'}`;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address() as AddressInfo;
  await new Promise((ok) => s.close(ok));
  return port;
}

/**
 * Resets the kernel's peak-RSS mark of a process we started (`clear_refs` 5), so the next phase's peak is its
 * own; false where /proc does not allow it, and the later figure then still includes the earlier phase.
 */
function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Pids of a process and all its descendants (next start may fork workers), from /proc. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      // The command name may hold spaces and parentheses: fields are counted from the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid);
      if (list) list.push(Number(name));
      else children.set(ppid, [Number(name)]);
    } catch {
      /* exited meanwhile */
    }
  }
  const pids: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const p = stack.pop()!;
    pids.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return pids;
}

/** Peak RSS of a process tree: the sum of each member's VmHWM, sampled until stopped (an upper bound). */
function watchTreePeakRss(root: number, intervalMs = 200): { stop(): number | null } {
  const peaks = new Map<number, number>();
  const sample = () => {
    for (const pid of processTree(root)) {
      const v = readPeakRssBytes(pid);
      if (v !== null && v > (peaks.get(pid) ?? 0)) peaks.set(pid, v);
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop() {
      sample();
      clearInterval(timer);
      return peaks.size === 0 ? null : [...peaks.values()].reduce((a, b) => a + b, 0);
    },
  };
}

/** Next's first-load JS for a route as `next build` recorded it, and our gzip of the same chunks. */
function buildFirstLoad(route: string): FirstLoad['build'] {
  const file = join(ROOT, '.next', 'diagnostics', 'route-bundle-stats.json');
  if (!existsSync(file)) return null;
  try {
    const stats = JSON.parse(readFileSync(file, 'utf8')) as { route: string; firstLoadUncompressedJsBytes: number; firstLoadChunkPaths: string[] }[];
    const r = stats.find((s) => s.route === route);
    if (!r) return null;
    let gzipBytes = 0;
    for (const p of r.firstLoadChunkPaths) gzipBytes += gzipSync(readFileSync(join(ROOT, p))).length;
    return { chunks: r.firstLoadChunkPaths.length, uncompressedBytes: r.firstLoadUncompressedJsBytes, gzipBytes };
  } catch {
    return null;
  }
}

/** Tracks the page's requests in flight, so that an Enter is only pressed once completion lookups have settled. */
function trackRequests(page: Page): { started(): number; since(n: number): string[]; idle(): Promise<void> } {
  let inFlight = 0;
  let started = 0;
  let recent: string[] = [];
  page.on('request', (r) => {
    inFlight++;
    started++;
    const u = new URL(r.url());
    recent.push(`${r.method()} ${u.pathname}${u.searchParams.has('_rsc') ? ' (RSC)' : ''}`);
    if (recent.length > 64) recent = recent.slice(-32);
  });
  const done = () => {
    inFlight--;
  };
  page.on('requestfinished', done);
  page.on('requestfailed', done);
  return {
    started: () => started,
    since: (n) => recent.slice(Math.max(0, recent.length - (started - n))),
    async idle() {
      const until = Date.now() + STEP_TIMEOUT_MS;
      let quiet = 0;
      // Two quiet looks 50 ms apart: a debounce or an effect may start a request just after the last one ended.
      while (quiet < 2) {
        if (Date.now() > until) throw new Error(`the page kept ${inFlight} request(s) in flight for ${STEP_TIMEOUT_MS / 1000} s`);
        await new Promise((r) => setTimeout(r, 50));
        quiet = inFlight === 0 ? quiet + 1 : 0;
      }
    },
  };
}

const isMainSearch = (r: Response) => r.url().endsWith('/api/v1/search') && r.request().method() === 'POST' && (r.request().postData() ?? '').includes('"over_time"');

function discoverUrl(base: string, query: string): string {
  const p = new URLSearchParams({ index: INDEX, from: new Date(CORPUS_START_MS).toISOString(), to: new Date(CORPUS_START_MS + CORPUS_SPAN_MS).toISOString() });
  if (query !== '') p.set('q', query);
  return `${base}/discover?${p}`;
}

/** How the bench acts as the signed-in admin: the dashboard's origin and the node session token. */
interface Session {
  readonly dashUrl: string;
  readonly token: string;
}

/** Signs the admin in on the node, as the dashboard's sign-in page does: a session token. */
async function signIn(node: NodeProcess): Promise<string> {
  const s = await adminPost(node, '/api/v1/security/sessions', { username: 'admin', password: node.password });
  if (typeof s.token !== 'string') throw new Error(`signing in answered no token: ${JSON.stringify(s).slice(0, 200)}`);
  return s.token;
}

/** A browser context already signed in (the session cookie set for the dashboard's origin), with the probe armed. */
async function newContext(browser: Browser, session: Session): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: playwrightConfig.use?.viewport ?? { width: 1366, height: 800 } });
  const { hostname } = new URL(session.dashUrl);
  await ctx.addCookies([{ name: SESSION_COOKIE, value: session.token, domain: hostname, path: '/', httpOnly: true, secure: false, sameSite: 'Strict' }]);
  await ctx.addInitScript(PROBE);
  return ctx;
}

/** A signed-in page that landed anywhere but where it was sent: the dashboard refused the session. */
function assertNotSignInPage(page: Page): void {
  const path = new URL(page.url()).pathname;
  if (path === '/login') throw new Error(`the dashboard sent the signed-in browser to ${page.url()}: it did not take the ${SESSION_COOKIE} cookie`);
}

/**
 * Times `body` sent from Node with fetch, answer read and parsed, as a client of the API would, with `headers`
 * (credentials; for the dashboard's forwarder, the cookie and the Origin a page of the dashboard sends).
 */
async function timeFetch(url: string, headers: Record<string, string>, body: string, runs: number): Promise<{ ms: number[]; took: number[]; total: number }> {
  const ms: number[] = [];
  const took: number[] = [];
  let total = -1;
  for (let i = 0; i < DASHBOARD_WARMUP_RUNS + runs; i++) {
    const t = performance.now();
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const j = (await res.json()) as { total: number; took_ms: number };
    const dt = performance.now() - t;
    if (!res.ok) throw new Error(`${url} answered ${res.status}: ${JSON.stringify(j).slice(0, 300)}`);
    total = j.total;
    if (i >= DASHBOARD_WARMUP_RUNS) {
      ms.push(dt);
      took.push(j.took_ms);
    }
  }
  return { ms, took, total };
}

/** Cold loads, each in a fresh browser context (empty cache); the first one's responses give the first-load bytes. */
async function measureColdLoads(browser: Browser, session: Session, total: number, runs: number): Promise<{ cold: ColdLoad; firstLoad: Omit<FirstLoad, 'build'> }> {
  const results: number[] = [];
  const dcl: number[] = [];
  const load: number[] = [];
  const sent: number[] = [];
  const answered: number[] = [];
  let firstLoad: Omit<FirstLoad, 'build'> | null = null;
  const label = hitsLabel(total);
  for (let i = 0; i < runs; i++) {
    const ctx = await newContext(browser, session);
    // Armed before any script of the page runs; the page's time origin is the navigation's start.
    await ctx.addInitScript(`window.__strataBench.cold = window.__strataBench.watch(${JSON.stringify(label)}, ${total > 0}, 0, ${STEP_TIMEOUT_MS});`);
    const page = await ctx.newPage();
    const responses: Response[] = [];
    if (i === 0) page.on('response', (r) => void responses.push(r));
    await page.goto(discoverUrl(session.dashUrl, ''), { waitUntil: 'load', timeout: STEP_TIMEOUT_MS });
    assertNotSignInPage(page);
    const t = (await page.evaluate('window.__strataBench.cold')) as Timing;
    const nav = (await page.evaluate(`(() => { const n = performance.getEntriesByType('navigation')[0]; return { dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd }; })()`)) as {
      dcl: number;
      load: number;
    };
    results.push(t.dom);
    dcl.push(nav.dcl);
    load.push(nav.load);
    const search = searchEntry(t);
    if (search) {
      sent.push(search.start);
      answered.push(search.end);
    }
    if (i === 0) {
      await page.waitForLoadState('networkidle', { timeout: STEP_TIMEOUT_MS }).catch(() => undefined);
      let jsFiles = 0;
      let jsTransferred = 0;
      let jsDecoded = 0;
      let allTransferred = 0;
      let allDecoded = 0;
      const encodings = new Set<string>();
      for (const r of responses) {
        const sizes = await r.request().sizes();
        const decoded = (await r.body().catch(() => Buffer.alloc(0))).length;
        allTransferred += sizes.responseBodySize;
        allDecoded += decoded;
        const js = r.request().resourceType() === 'script' || /javascript/.test(r.headers()['content-type'] ?? '');
        if (!js) continue;
        jsFiles++;
        jsTransferred += sizes.responseBodySize;
        jsDecoded += decoded;
        encodings.add(r.headers()['content-encoding'] ?? 'identity');
      }
      firstLoad = {
        jsFiles,
        jsTransferredBytes: jsTransferred,
        jsDecodedBytes: jsDecoded,
        allRequests: responses.length,
        allTransferredBytes: allTransferred,
        allDecodedBytes: allDecoded,
        jsEncodings: [...encodings],
      };
    }
    await ctx.close();
  }
  return {
    cold: {
      query: '',
      total,
      resultsMedianMs: median(results),
      resultsP90Ms: percentile(results, 90),
      domContentLoadedMedianMs: median(dcl),
      loadEventMedianMs: median(load),
      searchSentMedianMs: median(sent),
      searchAnsweredMedianMs: median(answered),
    },
    firstLoad: firstLoad!,
  };
}

/** Enter → rendered, on one warm page, for each query; then its exact request body sent bare, for the ratio. */
async function measureEnters(browser: Browser, session: Session, nodeUrl: string, queries: readonly DashboardQuery[], runs: number, log: (m: string) => void): Promise<EnterResult[]> {
  const { dashUrl } = session;
  const ctx = await newContext(browser, session);
  const page = await ctx.newPage();
  const requests = trackRequests(page);
  const input = page.getByRole('combobox', { name: 'Query' });
  await page.goto(discoverUrl(dashUrl, RESET_QUERY), { timeout: STEP_TIMEOUT_MS });
  assertNotSignInPage(page);
  await page.getByTestId('no-results').waitFor({ timeout: STEP_TIMEOUT_MS });
  await requests.idle();

  const reset = async () => {
    await input.fill(RESET_QUERY);
    await input.press('Enter');
    await page.getByTestId('no-results').waitFor({ timeout: STEP_TIMEOUT_MS });
    await requests.idle();
  };

  const out: EnterResult[] = [];
  for (const q of queries) {
    const ui: number[] = [];
    const paint: number[] = [];
    const took: number[] = [];
    const perEnter: number[] = [];
    const sent: number[] = [];
    const fetched: number[] = [];
    const rendered: number[] = [];
    let requestList: string[] = [];
    let body = '';
    let total = -1;
    for (let i = 0; i < DASHBOARD_WARMUP_RUNS + runs; i++) {
      await reset();
      await input.fill(q.query);
      await requests.idle();
      const answered = page.waitForResponse(isMainSearch, { timeout: STEP_TIMEOUT_MS });
      if (total >= 0) await page.evaluate(`window.__strataBench.armEnter(${JSON.stringify(hitsLabel(total))}, ${total > 0}, ${STEP_TIMEOUT_MS})`);
      const before = requests.started();
      await input.press('Enter');
      const res = await answered;
      const j = (await res.json()) as { total: number; took_ms: number };
      if (total < 0) {
        // The first Enter learns the total and the exact body the UI sends; it is a warm-up, so it is not timed.
        total = j.total;
        body = res.request().postData() ?? '';
        await page.getByTestId('hit-count').filter({ hasText: hitsLabel(total) }).waitFor({ timeout: STEP_TIMEOUT_MS });
        continue;
      }
      if (j.total !== total) throw new Error(`'${q.query}': the UI's search answered ${j.total} hits, earlier ${total}`);
      const t = (await page.evaluate('window.__strataBench.pending')) as Timing;
      perEnter.push(requests.started() - before);
      requestList = requests.since(before);
      if (i < DASHBOARD_WARMUP_RUNS) continue;
      ui.push(t.dom - t.start);
      paint.push(t.paint - t.start);
      took.push(j.took_ms);
      const search = searchEntry(t);
      if (search) {
        sent.push(search.start - t.start);
        fetched.push(search.end - search.start);
        rendered.push(t.dom - search.end);
      }
    }
    await requests.idle();
    const bearer = { authorization: `Bearer ${session.token}` };
    const api = await timeFetch(`${nodeUrl}/api/v1/search`, bearer, body, runs);
    // As the page sends it: the cookie, and the Origin the forwarder checks on a state-changing request.
    const proxy = await timeFetch(`${dashUrl}/api/v1/search`, { cookie: `${SESSION_COOKIE}=${session.token}`, origin: dashUrl }, body, runs);
    const unsplit = JSON.parse(body) as { aggs?: { over_time?: { date_histogram?: { split?: unknown } } } };
    delete unsplit.aggs?.over_time?.date_histogram?.split;
    const plain = await timeFetch(`${nodeUrl}/api/v1/search`, bearer, JSON.stringify(unsplit), runs);
    if (api.total !== total) throw new Error(`'${q.query}': the API answered ${api.total} hits, the UI showed ${total}`);
    const r: EnterResult = {
      name: q.name,
      query: q.query,
      total,
      uiMedianMs: median(ui),
      uiP90Ms: percentile(ui, 90),
      paintMedianMs: median(paint),
      tookMedianMs: median(took),
      apiMedianMs: median(api.ms),
      apiP90Ms: percentile(api.ms, 90),
      proxyMedianMs: median(proxy.ms),
      tookUnsplitMedianMs: median(plain.took),
      requestsPerEnter: median(perEnter),
      requestList,
      sentMedianMs: median(sent),
      browserFetchMedianMs: median(fetched),
      renderMedianMs: median(rendered),
    };
    log(`dashboard: ${q.name} '${q.query}' ${hitsLabel(total)}: Enter → rendered ${formatMs(r.uiMedianMs)} ms, API ${formatMs(r.apiMedianMs)} ms, took ${formatMs(r.tookMedianMs)} ms`);
    out.push(r);
  }
  await ctx.close();
  return out;
}

/**
 * Ingests the corpus into a fresh node process (as bench/strata.ts does) and flushes it, serves the built
 * dashboard against it, and measures Discover in Chromium. Everything started here is stopped before returning.
 */
export async function runDashboardBench(opts: DashboardBenchOptions): Promise<DashboardBenchResult> {
  const { corpus, runs, log } = opts;
  const started = performance.now();
  const loadBefore = loadavg();
  const launch = playwrightConfig.use?.launchOptions ?? {};
  const executablePath = launch.executablePath ?? '/usr/lib/chromium/chromium';
  if (!existsSync(executablePath)) throw new PeerUnavailableError('Chromium', `no binary at ${executablePath} (set STRATA_CHROMIUM; the bench never downloads a browser)`);

  const buildStart = performance.now();
  await ensureDashboardBuilt(ROOT, log);
  const buildSeconds = (performance.now() - buildStart) / 1000;
  const build = buildFirstLoad('/discover');

  const dataDir = mkdtempSync(join(tmpdir(), 'strata-dash-bench-'));
  const node = await startNodeProcess(dataDir);
  const nodeRss = watchPeakRss(node.child.pid!);
  let dashboard: Awaited<ReturnType<typeof startDashboard>> | null = null;
  let browser: Browser | null = null;
  const notes: string[] = [];
  try {
    const { ingestSeconds } = await ingestCorpus(node.url, node.authorization, INDEX, corpus, log);
    const flushStart = performance.now();
    const flushed = await fetch(`${node.url}/api/v1/indices/${INDEX}/flush`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: node.authorization },
      body: '{}',
    });
    if (!flushed.ok) throw new Error(`flush answered ${flushed.status}: ${(await flushed.text()).slice(0, 300)}`);
    await flushed.arrayBuffer().catch(() => undefined);
    const flushSeconds = (performance.now() - flushStart) / 1000;
    const nodeIngestPeak = nodeRss.stop();
    const split = resetPeakRss(node.child.pid!);
    if (!split) notes.push('the node’s peak RSS for the dashboard phase includes the ingest (clear_refs was refused)');
    const nodeQueryRss = watchPeakRss(node.child.pid!);

    dashboard = await startDashboard({ root: ROOT, nodeUrl: node.url, port: await freePort(), host: '127.0.0.1', log });
    const dashRss = watchTreePeakRss(dashboard.child.pid!);
    browser = await chromium.launch({ executablePath, args: launch.args, headless: true });
    log(`dashboard: ${dashboard.url} against the node at ${node.url}, Chromium ${browser.version()}`);
    const session: Session = { dashUrl: dashboard.url, token: await signIn(node) };

    const { cold, firstLoad } = await measureColdLoads(browser, session, corpus.lines, runs);
    log(`dashboard: first load ${formatBytes(firstLoad.jsTransferredBytes)} of JS transferred (${formatBytes(firstLoad.jsDecodedBytes)} decoded); cold load → results ${formatMs(cold.resultsMedianMs)} ms`);
    const enter = await measureEnters(browser, session, node.url, DASHBOARD_QUERIES, runs, log);
    const chromiumVersion = browser.version();
    return {
      lines: corpus.lines,
      runs,
      ingestSeconds,
      flushSeconds,
      buildSeconds,
      firstLoad: { ...firstLoad, build },
      cold,
      enter,
      nodeIngestPeakRssBytes: nodeIngestPeak,
      nodeQueryPeakRssBytes: nodeQueryRss.stop(),
      dashboardPeakRssBytes: dashRss.stop(),
      loadBefore,
      loadAfter: loadavg(),
      wallSeconds: (performance.now() - started) / 1000,
      chromium: chromiumVersion,
      notes,
    };
  } finally {
    await browser?.close().catch(() => undefined);
    await dashboard?.close().catch(() => undefined);
    await node.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
