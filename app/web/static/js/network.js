// The actor network as an SVG force layout (d3-force), computed to rest before drawing: no animation,
// nothing moves under the pointer. Nodes are links to the actors. The list of connected actors under the
// graph is its keyboard and screen-reader equivalent, so the picture itself is aria-hidden.
import { forceCenter, forceCollide, forceLink, forceManyBody, forceSimulation } from "d3-force";

const SVG = "http://www.w3.org/2000/svg";
const KINDS = { country: "country", person: "person", alliance: "alliance", organization: "organization" };

function el(name, attrs = {}) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

export function drawNetwork(container, data, centerId) {
  if (!data.nodes.length) return;
  const width = 800;
  const height = 500;
  const nodes = data.nodes.map((n) => ({ ...n }));
  const ids = new Set(nodes.map((n) => n.id));
  const links = data.edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => ({ ...e }));
  const degree = new Map();
  for (const e of links) {
    degree.set(e.source, (degree.get(e.source) || 0) + e.weight);
    degree.set(e.target, (degree.get(e.target) || 0) + e.weight);
  }
  const radius = (n) => (n.id === centerId ? 11 : 4 + Math.min(8, Math.sqrt(degree.get(n.id) || 1) * 1.5));
  const center = nodes.find((n) => n.id === centerId);
  if (center) Object.assign(center, { fx: width / 2, fy: height / 2 });
  const sim = forceSimulation(nodes)
    .force("link", forceLink(links).id((d) => d.id).distance((l) => 70 + 60 / Math.sqrt(l.weight || 1)))
    .force("charge", forceManyBody().strength(-260))
    .force("center", forceCenter(width / 2, height / 2))
    .force("collide", forceCollide((n) => radius(n) + 10))
    .stop();
  for (let i = 0; i < 300; i++) sim.tick();
  for (const n of nodes) {
    n.x = Math.max(20, Math.min(width - 20, n.x));
    n.y = Math.max(16, Math.min(height - 16, n.y));
  }

  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true", focusable: "false" });
  const edges = el("g");
  for (const l of links) {
    edges.append(
      el("line", {
        x1: l.source.x, y1: l.source.y, x2: l.target.x, y2: l.target.y,
        "stroke-width": Math.min(6, 0.8 + Math.log2(1 + l.weight)),
      }),
    );
  }
  svg.append(edges);
  const dots = el("g");
  for (const n of nodes) {
    const a = el("a", { href: `/actors/${encodeURIComponent(n.slug)}`, tabindex: "-1", "data-slug": n.slug });
    const kind = n.id === centerId ? "center" : KINDS[n.kind] || "other";
    const title = el("title");
    title.textContent = `${n.name} (${n.kind.replace("_", " ")})`;
    a.append(title, el("circle", { cx: n.x, cy: n.y, r: radius(n), class: `node-${kind}` }));
    const label = el("text", { x: n.x + radius(n) + 3, y: n.y + 4 });
    label.textContent = n.name.length > 24 ? `${n.name.slice(0, 23)}…` : n.name;
    a.append(label);
    dots.append(a);
  }
  svg.append(dots);
  container.replaceChildren(svg);
}
