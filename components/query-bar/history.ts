/** Recent queries, newest first, kept per browser. */
const KEY = 'strata.queryHistory';
const MAX = 20;

export function loadHistory(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, MAX) : [];
  } catch {
    return [];
  }
}

export function rememberQuery(q: string): void {
  const t = q.trim();
  if (t === '') return;
  const next = [t, ...loadHistory().filter((x) => x !== t)].slice(0, MAX);
  try {
    localStorage.setItem(KEY, JSON.stringify(next));
  } catch {
    /* storage full or disabled: history is a convenience */
  }
}
