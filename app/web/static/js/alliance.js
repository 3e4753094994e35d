// The alliance page: a slider over every day from the first join to today; moving it asks the API for
// the members on that day (GET /v1/actors/{a}/members?as_of=) and updates the list and the URL
// (one history entry when the slider is released or a date is submitted, so Back returns to the previous
// date; while dragging only the list follows).

const DAY = 86400000;
const section = document.querySelector("[data-alliance]");
const form = document.getElementById("as-of-form");
const slider = document.getElementById("as_of_slider");
const dateInput = document.getElementById("as_of");

function iso(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

function item(m) {
  const li = document.createElement("li");
  const a = document.createElement("a");
  a.href = `/actors/${encodeURIComponent(m.actor.slug)}`;
  a.className = `actor kind-${m.actor.kind}`;
  a.textContent = m.actor.name;
  const dates = document.createElement("span");
  dates.className = "dates";
  dates.textContent = `since ${m.valid_from || "…"}${m.valid_to ? `, until ${m.valid_to}` : ""}`;
  li.append(a, " ", dates);
  return li;
}

async function members(slug, asOf, signal) {
  const out = [];
  let cursor = null;
  do {
    const params = new URLSearchParams({ as_of: asOf, limit: "200" });
    if (cursor) params.set("cursor", cursor);
    const r = await fetch(`/v1/actors/${encodeURIComponent(slug)}/members?${params}`, { signal, headers: { accept: "application/json" } });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const page = await r.json();
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && out.length < 2000);
  return out.sort((a, b) => a.actor.name.localeCompare(b.actor.name));
}

// The server drew the membership chart with a line at the first date: move it with the slider.
function moveLine(d) {
  const svg = document.querySelector("svg.spans");
  if (!svg) return;
  const lo = Date.parse(`${svg.dataset.lo}T00:00:00Z`);
  const x = Number(svg.dataset.x0) + (Number(svg.dataset.plot) * (Date.parse(`${d}T00:00:00Z`) - lo)) / DAY / Number(svg.dataset.days);
  const width = svg.viewBox.baseVal.width;
  const line = svg.querySelector(".spans-now");
  const label = svg.querySelector(".spans-now-label");
  line.setAttribute("x1", x.toFixed(1));
  line.setAttribute("x2", x.toFixed(1));
  const end = x > width - 90;
  label.setAttribute("text-anchor", end ? "end" : "start");
  label.setAttribute("x", (x + (end ? -4 : 4)).toFixed(1));
  label.textContent = d;
  svg.querySelectorAll("rect").forEach((rect) => {
    const [from, to] = rect.dataset.range.split("/");
    const on = from <= d && (!to || d < to);
    rect.setAttribute("class", on ? "span-on" : "span-off");
  });
}

if (section && form && slider && dateInput) {
  const slug = section.dataset.alliance;
  const first = Date.parse(`${slider.dataset.first}T00:00:00Z`);
  const today = Date.parse(`${slider.dataset.today}T00:00:00Z`);
  slider.max = String(Math.max(0, Math.round((today - first) / DAY)));
  const place = (d) => {
    slider.value = String(Math.round((Date.parse(`${d}T00:00:00Z`) - first) / DAY));
    slider.setAttribute("aria-valuetext", d);
  };
  place(dateInput.value);
  slider.closest(".slider").hidden = false;
  let inflight = null;
  let timer = 0;

  async function show(d, push) {
    inflight?.abort();
    inflight = new AbortController();
    const url = `${location.pathname}?as_of=${d}`;
    if (push && new URLSearchParams(location.search).get("as_of") !== d) history.pushState({ as_of: d }, "", url);
    try {
      const list = await members(slug, d, inflight.signal);
      document.getElementById("members").replaceChildren(...list.map(item));
      document.getElementById("member-count").textContent = String(list.length);
      moveLine(d);
      const when = document.getElementById("members-date");
      when.textContent = d;
      when.setAttribute("datetime", d);
    } catch (err) {
      if (err.name !== "AbortError") location.href = url;
    }
  }

  slider.addEventListener("input", () => {
    const d = iso(first + Number(slider.value) * DAY);
    dateInput.value = d;
    slider.setAttribute("aria-valuetext", d);
    clearTimeout(timer);
    timer = setTimeout(() => show(d, false), 120);
  });
  slider.addEventListener("change", () => {
    clearTimeout(timer);
    show(dateInput.value, true);
  });
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!dateInput.value) return;
    place(dateInput.value);
    show(dateInput.value, true);
  });
  window.addEventListener("popstate", () => {
    const d = new URLSearchParams(location.search).get("as_of") || slider.dataset.today;
    dateInput.value = d;
    place(d);
    show(d, false);
  });
}
