import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { html } from "./html";

export interface Series {
  readonly label: string;
  readonly values: readonly (number | null)[];
}

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];

/** A time-series chart (uPlot), as wide as its container; `times` in epoch seconds. */
export function TimeChart({
  times,
  series,
  unit,
}: {
  times: readonly number[];
  series: readonly Series[];
  unit: string;
}) {
  const holder = useRef<HTMLDivElement>(null);
  const format = (v: number) => (unit === "$" ? `$${v === 0 ? 0 : v.toPrecision(2)}` : `${v} ${unit}`);
  useEffect(() => {
    const element = holder.current;
    if (element === null) return;
    const width = () => Math.max(element.clientWidth, 240);
    const plot = new uPlot(
      {
        width: width(),
        height: 280,
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: COLORS[i % COLORS.length],
            width: 2,
            points: { show: true, size: 6 },
            value: (_: uPlot, v: number | null) =>
              v === null
                ? "—"
                : `${unit === "$" ? "$" : ""}${v.toPrecision(4)}${unit === "$" ? "" : ` ${unit}`}`,
          })),
        ],
        scales: {
          x: { time: true },
          y: { range: (_: uPlot, _min: number, max: number) => [0, max > 0 ? max * 1.1 : 1] },
        },
        axes: [{}, { size: 80, values: (_: uPlot, splits: number[]) => splits.map(format) }],
      },
      [times as number[], ...series.map((s) => s.values as (number | null)[])],
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 280 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [times, series, unit]);
  return html`<div class="chart" ref=${holder} role="img" aria-label=${`chart of ${series.map((s) => s.label).join(", ")}`}></div>`;
}
