// The events page: loads the events that match the filters (up to MAX) and puts them on the map.
import { loadEventPoints } from "./data.js";
import { drawMap } from "./map.js";

const MAX = 1000;
const container = document.getElementById("map");
const status = document.getElementById("map-status");

function pick(events) {
  const list = document.getElementById("event-list");
  list.querySelectorAll(".active").forEach((li) => li.classList.remove("active"));
  const shown = events.map((e) => list.querySelector(`[data-event="${e.id}"]`)).filter(Boolean);
  shown.forEach((li) => li.classList.add("active"));
  const first = events[0];
  status.replaceChildren();
  const a = document.createElement("a");
  a.href = `/events/${first.id}`;
  a.textContent = first.title;
  status.append(
    events.length === 1 ? "" : `${events.length} events at ${first.place || "this place"}, for example `,
    a,
    ` (${first.date}).`,
  );
  shown[0]?.scrollIntoView({ block: "nearest" });
}

async function main() {
  if (!container || !window.topojson) return;
  const query = JSON.parse(container.dataset.query);
  const quad = JSON.parse(container.dataset.quad);
  status.textContent = "Loading events…";
  try {
    const { points, loaded, truncated } = await loadEventPoints(query, { max: MAX });
    const { places } = await drawMap(container, { worldUrl: container.dataset.world, points, quad, onPick: pick });
    container.dataset.markers = String(places);
    status.textContent =
      `${points.length.toLocaleString("en")} of ${loaded.toLocaleString("en")} events have coordinates, ` +
      `at ${places.toLocaleString("en")} places` +
      (truncated ? ` (the first ${loaded.toLocaleString("en")} matches: narrow the filters to see others).` : ".");
  } catch (err) {
    status.textContent = `The map could not load the events (${err.message}); the list has them.`;
  }
}

main();
