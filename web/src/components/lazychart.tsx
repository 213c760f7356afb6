// The chart library (uPlot) loads only when a chart is on screen: the queue and the inbox never wait for it.
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Series } from "./chart";

type ChartProps = { times: number[]; series: Series[]; height?: number; summary: string; big?: boolean };
let loaded: ComponentType<ChartProps> | null = null;

export function TimeChart(props: ChartProps) {
  const [Chart, setChart] = useState<ComponentType<ChartProps> | null>(() => loaded);
  useEffect(() => {
    if (Chart) return;
    let live = true;
    void import("./chart").then((module) => {
      loaded = module.TimeChart;
      if (live) setChart(() => module.TimeChart);
    });
    return () => {
      live = false;
    };
  }, []);
  return Chart ? <Chart {...props} /> : <div class="chart-box" style={{ height: `${props.height ?? 200}px` }} aria-hidden="true" />;
}
