/**
 * A time-series chart over uPlot. Colours come from the theme's CSS variables (read with
 * getComputedStyle when the chart is built), so the chart is rebuilt when `<html data-theme>`
 * changes; it follows its container's width through a ResizeObserver. uPlot styles its elements
 * through the CSSOM, which the dashboard's CSP allows. With no points it shows an empty state.
 */
import { useEffect, useRef, useSyncExternalStore } from 'react';
import uPlot from 'uplot';
import './TimeChart.css';

export interface ChartSeries {
  label: string;
  /** A theme variable for the line, e.g. `--ok`. */
  color: string;
  values: (number | null)[];
  /** A theme variable to fill under the line with, e.g. `--ok-soft`. */
  fill?: string;
}

function subscribeTheme(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  return () => observer.disconnect();
}

const currentTheme = (): string => document.documentElement.dataset['theme'] ?? '';

/** The `data-theme` of <html>, re-rendering when it changes. */
export function useThemeName(): string {
  return useSyncExternalStore(subscribeTheme, currentTheme);
}

function themeColour(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

const MIN_WIDTH = 200;
const plain = (value: number): string => String(value);

export function TimeChart({
  title,
  x,
  series,
  format = plain,
  height = 220,
  emptyText = 'No data in this window yet.',
  testId,
}: {
  title: string;
  /** Epoch milliseconds, ascending. `x` and `series` rebuild the chart when they change: memoize them. */
  x: number[];
  series: ChartSeries[];
  /** Formats y values on the axis and in the legend. Keep it stable (module level): a new one rebuilds the chart. */
  format?: (value: number) => string;
  height?: number;
  emptyText?: string;
  testId?: string;
}) {
  const holder = useRef<HTMLDivElement>(null);
  const theme = useThemeName();
  const empty = x.length === 0;

  useEffect(() => {
    const el = holder.current;
    if (el === null || empty) return;
    const axis: uPlot.Axis = {
      stroke: themeColour('--muted'),
      grid: { stroke: themeColour('--border'), width: 1 },
      ticks: { stroke: themeColour('--border'), width: 1 },
    };
    const opts: uPlot.Options = {
      width: Math.max(MIN_WIDTH, el.clientWidth),
      height,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      series: [
        {},
        ...series.map((s): uPlot.Series => ({
          label: s.label,
          stroke: themeColour(s.color),
          width: 2,
          points: { show: true, size: 5 },
          value: (_u, v) => (v === null ? '—' : format(v)),
          ...(s.fill === undefined ? {} : { fill: themeColour(s.fill) }),
        })),
      ],
      axes: [
        axis,
        {
          ...axis,
          values: (_u, splits) => splits.map((v) => format(v)),
          // Wide enough for the longest label (12 px font, ~7 px a character) plus the ticks.
          size: (_u, values) => 24 + 7 * Math.max(3, ...(values ?? []).map((v) => v.length)),
        },
      ],
      cursor: { drag: { x: false, y: false } },
    };
    const data: uPlot.AlignedData = [x.map((t) => t / 1000), ...series.map((s) => s.values)];
    const plot = new uPlot(opts, data, el);
    let width = el.clientWidth;
    let frame = 0;
    // Resized in the next frame, and only when the width changed, so a resize never feeds back
    // into the observer within one frame.
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        if (el.clientWidth === width) return;
        width = el.clientWidth;
        plot.setSize({ width: Math.max(MIN_WIDTH, width), height });
      });
    });
    observer.observe(el);
    return () => {
      cancelAnimationFrame(frame);
      observer.disconnect();
      plot.destroy();
    };
  }, [theme, x, series, format, height, empty]);

  return (
    <figure className="chart time-chart" data-testid={testId}>
      <figcaption className="time-chart-title">{title}</figcaption>
      {empty ? (
        <p className="muted time-chart-empty" data-testid={testId === undefined ? undefined : `${testId}-empty`}>
          {emptyText}
        </p>
      ) : (
        <div ref={holder} className="time-chart-plot" role="img" aria-label={`${title} chart`} />
      )}
    </figure>
  );
}
