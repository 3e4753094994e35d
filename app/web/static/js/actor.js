// The actor page: the mention timeline (uPlot, loaded as a classic script before this module) and the
// network (d3-force). Both read the JSON the server embedded from the same API calls as the tables.
import { drawNetwork } from "./network.js";

const COLORS = ["#0b4f8a", "#9a4a00", "#1b6e33"];

function chart() {
  const el = document.getElementById("chart");
  const source = document.getElementById("timeline-data");
  if (!el || !source || !window.uPlot) return;
  const data = JSON.parse(source.textContent);
  const names = data.names;
  const xs = data.starts.map((s) => Date.parse(`${s}T00:00:00Z`) / 1000);
  const width = () => Math.max(280, Math.min(el.clientWidth || 600, 900));
  const plot = new window.uPlot(
    {
      width: width(),
      height: 260,
      tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      series: [
        { label: data.interval },
        ...names.map((name, i) => ({
          label: name,
          stroke: COLORS[i % COLORS.length],
          width: 2,
          fill: i === 0 ? "rgba(11, 79, 138, 0.08)" : undefined,
          points: { show: xs.length < 60 },
        })),
      ],
      axes: [{ stroke: "#4a4f55" }, { stroke: "#4a4f55", label: "articles" }],
      scales: { y: { range: (u, min, max) => [0, Math.max(1, max)] } },
    },
    [xs, ...data.series],
    el,
  );
  new ResizeObserver(() => plot.setSize({ width: width(), height: 260 })).observe(el);
}

chart();
const graph = document.getElementById("graph");
const network = document.getElementById("network-data");
if (graph && network) drawNetwork(graph, JSON.parse(network.textContent), Number(graph.dataset.center));
