// Every page: the actor pickers (an ARIA 1.2 combobox over GET /v1/actors?q=, which is typo-tolerant).
// Without JavaScript the picker is a plain text field: the server resolves what was typed or suggests.

const DEBOUNCE_MS = 150;

export function picker(root) {
  const input = root.querySelector("input[role=combobox]");
  const list = root.querySelector("[role=listbox]");
  if (!input || !list) return;
  const kinds = (root.dataset.kind || "").split(",").filter(Boolean);
  let items = [];
  let active = -1;
  let timer = 0;
  let inflight = null;

  function close() {
    items = [];
    active = -1;
    list.replaceChildren();
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(i) {
    active = i;
    list.querySelectorAll("[role=option]").forEach((li, j) => li.setAttribute("aria-selected", String(j === i)));
    if (i >= 0) {
      const li = list.children[i];
      input.setAttribute("aria-activedescendant", li.id);
      li.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function render() {
    list.replaceChildren(
      ...items.map((a, i) => {
        const li = document.createElement("li");
        li.id = `${list.id}-${i}`;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.slug = a.slug;
        li.append(a.name);
        const kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = a.kind.replace("_", " ") + (a.country ? ` · ${a.country}` : "");
        li.append(kind);
        li.addEventListener("mousedown", (ev) => {
          ev.preventDefault();
          choose(a);
        });
        return li;
      }),
    );
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", String(items.length > 0));
    active = -1;
  }

  function choose(actor) {
    input.value = actor.slug;
    close();
    if (input.form) input.form.requestSubmit();
  }

  async function lookup() {
    const q = input.value.trim();
    if (q.length < 2) return close();
    inflight?.abort();
    inflight = new AbortController();
    const params = new URLSearchParams({ q, limit: "8" });
    kinds.forEach((k) => params.append("kind", k));
    try {
      const r = await fetch(`/v1/actors?${params}`, { signal: inflight.signal, headers: { accept: "application/json" } });
      if (!r.ok) return close();
      items = (await r.json()).items;
      if (document.activeElement === input) render();
    } catch (err) {
      if (err.name !== "AbortError") close();
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(lookup, DEBOUNCE_MS);
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown" && items.length) {
      ev.preventDefault();
      highlight((active + 1) % items.length);
    } else if (ev.key === "ArrowUp" && items.length) {
      ev.preventDefault();
      highlight(active <= 0 ? items.length - 1 : active - 1);
    } else if (ev.key === "Enter" && active >= 0) {
      ev.preventDefault();
      choose(items[active]);
    } else if (ev.key === "Escape" && !list.hidden) {
      ev.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
}

document.querySelectorAll("[data-picker]").forEach(picker);
