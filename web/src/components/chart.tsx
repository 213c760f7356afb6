// A time-series chart (uPlot, shipped with Hark: no CDN), sized to its box, with a text summary for screen
// readers next to the canvas.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface Series {
  label: string;
  values: number[];
  colour: string;
  bars?: boolean;
}

const barPaths = uPlot.paths.bars ? uPlot.paths.bars({ size: [0.7, 48] }) : undefined;

export function TimeChart(props: { times: number[]; series: Series[]; height?: number; summary: string; big?: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axis = { stroke: "#9da7b3", grid: { stroke: "#30363d", width: 1 }, ticks: { stroke: "#30363d" }, font: props.big ? "20px system-ui" : "12px system-ui", size: props.big ? 70 : 50 };
    const values = props.series.map((s) => s.values);
    const options: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: props.height ?? 200,
      legend: { show: !props.big },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [axis, { ...axis, size: props.big ? 70 : 44 }],
      series: [
        {},
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.colour,
          width: s.bars ? 1 : props.big ? 3 : 2,
          fill: s.bars ? `${s.colour}99` : undefined,
          paths: s.bars ? barPaths : undefined,
          points: { show: false },
        })),
      ],
    };
    plot.current?.destroy();
    plot.current = new uPlot(options, [props.times, ...values], el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: props.height ?? 200 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [props.times, props.series, props.height]);
  return (
    <figure class="chart">
      <div ref={box} class="chart-box" aria-hidden="true" />
      <figcaption class="sr">{props.summary}</figcaption>
    </figure>
  );
}
