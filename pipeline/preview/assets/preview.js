// Live preview: one EventSource per tab. On every rebuild the issue page fetches its status,
// repaints findings, size meter and error box, and reloads the frames (keeping each one's
// scroll position) when the email itself changed. The index page simply reloads.
(() => {
  "use strict";
  const page = document.body.dataset.page;
  let epoch = Number(document.body.dataset.epoch);
  const live = document.getElementById("live");

  const el = (tag, text, cls) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  };
  const where = (f) => (f.line ? `${f.file}:${f.line}` : f.file);

  let update = () => location.reload();

  if (page === "issue") {
    let status = JSON.parse(document.getElementById("initial").textContent);
    const frames = [...document.querySelectorAll("iframe[data-src]")];
    const scroll = new Map();

    const visible = (frame) => frame.offsetParent !== null;
    const remember = (frame) => {
      try {
        if (visible(frame) && frame.contentWindow) {
          scroll.set(frame.id, [frame.contentWindow.scrollX, frame.contentWindow.scrollY]);
        }
      } catch (e) { /* not loaded yet */ }
    };
    const restore = (frame) => {
      const pos = scroll.get(frame.id);
      if (pos && visible(frame)) frame.contentWindow.scrollTo(pos[0], pos[1]);
    };
    frames.forEach((frame) => frame.addEventListener("load", () => restore(frame)));

    const render = (s) => {
      document.getElementById("title").textContent = s.title;
      const meta = [s.number !== null ? `Nr. ${s.number}` : "", s.date, s.draft ? "Entwurf" : ""];
      document.getElementById("meta").textContent = meta.filter(Boolean).join(" · ");
      const meter = document.getElementById("budget");
      meter.max = s.budget || 1;
      meter.low = Math.round((s.budget || 1) * 0.8);
      meter.high = Math.round((s.budget || 1) * 0.95);
      meter.optimum = 0;
      meter.value = s.bytes;
      document.getElementById("size").textContent = s.size;

      const list = document.getElementById("findings");
      list.replaceChildren();
      for (const f of [...s.errors, ...s.warnings]) {
        const item = el("li", undefined, f.severity);
        // the issue's own lines read "Zeile 12"; a layout's name its file ("layouts/email.css.j2:26")
        const at = !f.line ? f.file : f.file.endsWith(".md") ? `Zeile ${f.line}` : `${f.file.split("/").slice(-2).join("/")}:${f.line}`;
        item.append(el("code", f.rule), " ", el("span", at, "line"), " ", f.message);
        list.append(item);
      }
      if (!list.children.length) list.append(el("li", "Keine Befunde.", "ok"));

      const overlay = document.getElementById("overlay");
      const errors = document.getElementById("errors");
      errors.replaceChildren();
      for (const f of s.errors) {
        const item = el("li");
        item.append(el("code", where(f)), ` [${f.rule}] ${f.message}`);
        errors.append(item);
      }
      overlay.hidden = s.errors.length === 0;
    };

    // Only the frames on screen reload at once; the others when their tab is opened.
    const load = (frame, version) => {
      remember(frame);
      const sep = frame.dataset.src.includes("?") ? "&" : "?";
      frame.src = `${frame.dataset.src}${sep}v=${version}`;
      delete frame.dataset.stale;
    };
    const reloadFrames = (version) => {
      for (const frame of frames) {
        if (visible(frame)) load(frame, version);
        else frame.dataset.stale = String(version);
      }
    };

    let running = false;
    let again = false;
    update = async () => {
      if (running) { again = true; return; }
      running = true;
      try {
        do {
          again = false;
          const response = await fetch("status.json", { cache: "no-store" });
          if (response.status === 404) {
            status = { ...status, errors: [{ file: status.stem, line: 0, rule: "gone", message: "Die Datei gibt es nicht mehr.", severity: "error" }] };
          } else {
            const next = await response.json();
            if (next.version !== status.version) reloadFrames(next.version);
            status = next;
          }
          render(status);
        } while (again);
      } finally {
        running = false;
      }
    };

    for (const tab of document.querySelectorAll("[role=tab]")) {
      tab.addEventListener("click", () => {
        frames.forEach(remember);
        for (const other of document.querySelectorAll("[role=tab]")) {
          const on = other === tab;
          other.setAttribute("aria-selected", String(on));
          document.getElementById(other.getAttribute("aria-controls")).hidden = !on;
        }
        for (const frame of frames) {
          if (visible(frame) && frame.dataset.stale) load(frame, frame.dataset.stale);
          else restore(frame);
        }
      });
    }
    render(status);
  }

  const source = new EventSource("/events");
  source.addEventListener("open", () => live.classList.remove("offline"));
  source.addEventListener("error", () => live.classList.add("offline"));
  // A build may have finished between serving this page and opening the stream.
  source.addEventListener("hello", (event) => {
    if (Number(event.data) !== epoch) { epoch = Number(event.data); update(); }
  });
  source.addEventListener("reload", (event) => { epoch = Number(event.data); update(); });
})();
