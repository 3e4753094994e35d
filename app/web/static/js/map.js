// A world map (d3-geo, Equal Earth projection, world-atlas countries at 1:110m) with one marker per
// place; events at the same coordinates share a marker, sized by their number and coloured by their
// most frequent CAMEO quad class. The list beside the map is the keyboard and screen-reader
// equivalent, so the picture is aria-hidden.
import { geoEqualEarth, geoGraticule10, geoPath } from "d3-geo";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 960;
const HEIGHT = 480;

function el(name, attrs = {}) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function rootOf(code) {
  return String(code || "").slice(0, 2);
}

export async function drawMap(container, { worldUrl, points, quad, onPick }) {
  const projection = geoEqualEarth().fitExtent([[4, 4], [WIDTH - 4, HEIGHT - 4]], { type: "Sphere" });
  const path = geoPath(projection);
  const svg = el("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, "aria-hidden": "true", focusable: "false" });
  svg.append(el("path", { d: path({ type: "Sphere" }), fill: "var(--sea)" }));
  svg.append(el("path", { d: path(geoGraticule10()), fill: "none", stroke: "#fff", "stroke-width": 0.4 }));
  const world = await (await fetch(worldUrl)).json();
  const land = window.topojson.feature(world, world.objects.countries);
  const g = el("g");
  for (const f of land.features) g.append(el("path", { d: path(f), class: "land" }));
  svg.append(g);

  const spots = new Map();
  for (const p of points) {
    const key = `${p.lat.toFixed(3)},${p.lon.toFixed(3)}`;
    if (!spots.has(key)) spots.set(key, []);
    spots.get(key).push(p);
  }
  const markers = el("g");
  const ordered = [...spots.values()].sort((a, b) => b.length - a.length);
  for (const events of ordered) {
    const xy = projection([events[0].lon, events[0].lat]);
    if (!xy) continue;
    const counts = [0, 0, 0, 0, 0];
    for (const e of events) counts[quad[e.type] || quad[rootOf(e.type)] || 0] += 1;
    const top = counts.indexOf(Math.max(...counts));
    const circle = el("circle", {
      cx: xy[0].toFixed(1), cy: xy[1].toFixed(1),
      r: (3 + Math.min(12, Math.sqrt(events.length) * 1.6)).toFixed(1),
      class: `quad-${top} marker`,
      "data-count": events.length,
    });
    const title = el("title");
    title.textContent = events.length === 1
      ? `${events[0].title} (${events[0].date})`
      : `${events.length} events at ${events[0].place || "this place"}`;
    circle.append(title);
    circle.addEventListener("click", () => {
      markers.querySelectorAll(".active").forEach((c) => c.classList.remove("active"));
      circle.classList.add("active");
      onPick(events);
    });
    markers.append(circle);
  }
  svg.append(markers);
  container.replaceChildren(svg);
  return { places: ordered.length };
}
