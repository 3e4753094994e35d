// The search page: "More results" appends the next page in place (the cursor link still works without
// JavaScript), and the live strip. The URL keeps the query and filters; paging stays in the page.
import { live } from "./live.js";

async function more(link) {
  const url = new URL(link.href);
  url.searchParams.set("fragment", "1");
  link.setAttribute("aria-busy", "true");
  link.textContent = "Loading…";
  const r = await fetch(url, { headers: { accept: "text/html" } });
  if (!r.ok) {
    location.href = link.href;
    return;
  }
  const doc = new DOMParser().parseFromString(await r.text(), "text/html");
  const list = document.getElementById("results-page");
  const added = [...doc.querySelectorAll("#results-page > li")];
  list.append(...added);
  document.getElementById("more").replaceWith(doc.getElementById("more"));
  const summary = document.getElementById("summary");
  const hasMore = !!document.querySelector("#more a[data-more]");
  if (summary) summary.textContent = `${list.children.length} shown${hasMore ? ", more below" : ", that is all"}.`;
  added[0]?.querySelector("a")?.focus();
}

document.addEventListener("click", (ev) => {
  const link = ev.target.closest("a[data-more]");
  if (!link || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
  ev.preventDefault();
  more(link);
});

async function facets(box) {
  const hint = box.innerHTML;
  box.setAttribute("aria-busy", "true");
  box.querySelector(".hint").textContent = "Counting the matches…";
  try {
    const r = await fetch(box.dataset.src, { headers: { accept: "text/html" } });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const doc = new DOMParser().parseFromString(await r.text(), "text/html");
    const loaded = doc.getElementById("facets");
    if (!loaded.querySelector(".facet")) loaded.innerHTML = '<p class="hint">Nothing to count.</p>';
    box.replaceWith(loaded);
  } catch {
    box.innerHTML = hint;
    box.removeAttribute("aria-busy");
  }
}

const box = document.querySelector("#facets[data-src]");
if (box) facets(box);
const strip = document.getElementById("live");
if (strip) live(strip);
