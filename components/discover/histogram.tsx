'use client';
import { useEffect, useRef, useState } from 'react';
import { BarChart } from 'echarts/charts';
import { BrushComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import type { DateHistogramResult } from '../../lib/client/index.ts';
import { formatCount } from '../format.ts';

echarts.use([BarChart, GridComponent, TooltipComponent, LegendComponent, BrushComponent, CanvasRenderer]);

/** Colours people expect for levels; other split values take the palette. */
const LEVEL_COLOURS: Record<string, string> = {
  error: '#d93025',
  err: '#d93025',
  fatal: '#8e0000',
  critical: '#8e0000',
  warn: '#f29900',
  warning: '#f29900',
  info: '#1a73e8',
  debug: '#9aa0a6',
  trace: '#c4c7cc',
};

/** A theme colour as the page resolves it now (the variables hold light-dark() pairs that canvas cannot read). */
function themeColour(name: string): string {
  const probe = document.createElement('span');
  probe.style.color = `var(${name})`;
  document.body.appendChild(probe);
  const c = getComputedStyle(probe).color;
  probe.remove();
  return c;
}

function label(ms: number, intervalMs: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  if (intervalMs >= 86_400_000) return day;
  const time = `${p(d.getHours())}:${p(d.getMinutes())}${intervalMs < 60_000 ? `:${p(d.getSeconds())}` : ''}`;
  return `${day} ${time}`;
}

/**
 * Matching records over time as stacked bars, split by a field's top values. Dragging across the chart selects a
 * time range and zooms to it (`onZoom` with the first bucket's start and the last one's end).
 */
export function Histogram({ data, splitField, onZoom }: { data: DateHistogramResult | null; splitField: string; onZoom(fromMs: number, toMs: number): void }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const latest = useRef({ data, onZoom });
  latest.current = { data, onZoom };
  // Axis colours come from the theme: redraw when it changes (the menu, or the system's scheme).
  const [theme, setTheme] = useState(0);
  useEffect(() => {
    const bump = () => setTheme((t) => t + 1);
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    window.addEventListener('strata-theme', bump);
    media.addEventListener('change', bump);
    return () => {
      window.removeEventListener('strata-theme', bump);
      media.removeEventListener('change', bump);
    };
  }, []);

  useEffect(() => {
    if (!el.current) return;
    const c = echarts.init(el.current, undefined, { renderer: 'canvas' });
    chart.current = c;
    c.on('brushEnd', (ev: unknown) => {
      const area = (ev as { areas?: { coordRange?: [number, number] }[] }).areas?.[0];
      const d = latest.current.data;
      if (!area?.coordRange || !d || d.buckets.length === 0) return;
      const [a, b] = area.coordRange;
      const lo = Math.max(0, Math.min(a, b));
      const hi = Math.min(d.buckets.length - 1, Math.max(a, b));
      c.dispatchAction({ type: 'brush', areas: [] });
      latest.current.onZoom(d.buckets[lo].key, d.buckets[hi].key + d.interval_ms - 1);
    });
    const resize = new ResizeObserver(() => c.resize());
    resize.observe(el.current);
    return () => {
      resize.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    const buckets = data?.buckets ?? [];
    const keys = data?.split_keys ?? [];
    const fg = themeColour('--muted');
    const series = keys.map((k, i) => ({
      name: String(k),
      type: 'bar' as const,
      stack: 'all',
      barCategoryGap: '10%',
      itemStyle: LEVEL_COLOURS[String(k).toLowerCase()] ? { color: LEVEL_COLOURS[String(k).toLowerCase()] } : undefined,
      data: buckets.map((b) => b.split?.find((s) => s.key === k)?.doc_count ?? 0),
      z: i,
    }));
    const other = buckets.map((b) => (keys.length > 0 ? (b.other ?? 0) : b.doc_count));
    if (keys.length === 0 || other.some((n) => n > 0)) {
      series.push({ name: keys.length > 0 ? 'other' : 'records', type: 'bar', stack: 'all', barCategoryGap: '10%', itemStyle: { color: keys.length > 0 ? '#b0b7c3' : '#1a73e8' }, data: other, z: keys.length });
    }
    c.setOption(
      {
        animation: false,
        grid: { left: 48, right: 16, top: 26, bottom: 22 },
        legend: { show: keys.length > 0, top: 0, right: 8, textStyle: { color: fg }, itemWidth: 10, itemHeight: 10 },
        tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: unknown) => formatCount(Number(v)) },
        brush: { xAxisIndex: 0, brushType: 'lineX', brushMode: 'single', throttleType: 'debounce', throttleDelay: 100, transformable: false, brushStyle: { color: 'rgba(26,115,232,0.2)', borderColor: '#1a73e8' } },
        xAxis: { type: 'category', data: buckets.map((b) => label(b.key, data?.interval_ms ?? 60_000)), axisLabel: { color: fg, hideOverlap: true }, axisTick: { alignWithLabel: true } },
        yAxis: { type: 'value', minInterval: 1, axisLabel: { color: fg, formatter: (v: number) => formatCount(v) }, splitLine: { lineStyle: { opacity: 0.3 } } },
        series,
      },
      { notMerge: true },
    );
    // Dragging selects a range right away, without picking a brush tool first.
    c.dispatchAction({ type: 'takeGlobalCursor', key: 'brush', brushOption: { brushType: 'lineX', brushMode: 'single' } });
  }, [data, splitField, theme]);

  return (
    <figure className="histogram" style={{ margin: 0 }} aria-label={`Histogram of matching records over time, split by ${splitField}; drag across it to zoom`}>
      <div ref={el} style={{ position: 'absolute', inset: 0 }} data-testid="histogram" />
    </figure>
  );
}
