// The one place the event map gets its data from the API.
// Today: the paged events list (`GET /v1/events`), whose items carry `location: {name, lat, lon}`.
// When `GET /v1/events?format=geojson` lands, only this module changes: fetch the FeatureCollection with
// the same filters and map each feature to the same point shape.

const PAGE = 200;

export async function loadEventPoints(query, { max = 1000, signal } = {}) {
  const points = [];
  let loaded = 0;
  let cursor = null;
  do {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v) params.append(k, v);
    params.set("limit", String(PAGE));
    if (cursor) params.set("cursor", cursor);
    const r = await fetch(`/v1/events?${params}`, { signal, headers: { accept: "application/json" } });
    if (!r.ok) throw new Error(`events: HTTP ${r.status}`);
    const page = await r.json();
    loaded += page.items.length;
    for (const e of page.items) {
      const loc = e.location;
      if (!loc || loc.lat == null || loc.lon == null) continue;
      points.push({
        id: e.id,
        title: e.title,
        date: e.start_date,
        type: e.type,
        place: loc.name || "",
        lat: Number(loc.lat),
        lon: Number(loc.lon),
      });
    }
    cursor = page.next_cursor;
  } while (cursor && loaded < max);
  return { points, loaded, truncated: Boolean(cursor) };
}
