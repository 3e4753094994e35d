// The "new articles" strip: Server-Sent Events from GET /v1/changes/stream with the page's filters.
// The server renders the strip only when the API documents that route, so a server without it shows
// nothing and logs nothing; if the stream ends for good (EventSource CLOSED) the strip hides again.
// The browser reconnects on its own and sends Last-Event-ID, so nothing is missed across a blip.

const KEEP = 10;

export function live(section) {
  const url = section.dataset.stream;
  if (!url || !("EventSource" in window)) return;
  const list = section.querySelector("ol");
  const page = new URLSearchParams(location.search);
  const after = page.get("published_after") || "";
  const before = page.get("published_before") || "";
  let source;
  try {
    source = new EventSource(url);
  } catch {
    return;
  }

  function arrive(ev) {
    let change;
    try {
      change = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (!change || change.entity !== "article" || change.op === "delete") return;
    const data = change.data || {};
    const published = data.published_at || "";
    if (after && published && published < after) return;
    if (before && published && published >= before) return;
    if (list.querySelector(`[data-id="${CSS.escape(String(change.entity_id))}"]`)) return;
    const li = document.createElement("li");
    li.dataset.id = change.entity_id;
    const a = document.createElement("a");
    a.href = `/articles/${encodeURIComponent(change.entity_id)}`;
    a.textContent = data.title || `Article ${change.entity_id}`;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = [data.source, published.slice(0, 16).replace("T", " ")].filter(Boolean).join(" · ");
    li.append(a, document.createElement("br"), meta);
    list.prepend(li);
    while (list.children.length > KEEP) list.lastElementChild.remove();
    section.hidden = false;
  }

  source.addEventListener("open", () => {
    section.hidden = false;
  });
  source.addEventListener("message", arrive);
  source.addEventListener("change", arrive);
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) section.hidden = true;
  });
  window.addEventListener("pagehide", () => source.close());
}
