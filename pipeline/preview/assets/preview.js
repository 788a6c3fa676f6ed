// Live preview: one EventSource per tab. On every rebuild the issue page gets its status with the
// event, repaints findings, size meter and error box, and, when the email itself changed, swaps the new
// document into the frames on screen: each view is fetched once, parsed once and put in place of
// the frame's old <html>, so the frame keeps its scroll position, its document (and that
// document's CSP) and skips a navigation per frame. Hidden frames catch up when their tab opens.
// The index page simply reloads.
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
    frames.forEach((frame) => frame.addEventListener("load", () => { delete frame.dataset.pending; restore(frame); }));

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

    const url = (frame, version) => {
      const sep = frame.dataset.src.includes("?") ? "&" : "?";
      return `${frame.dataset.src}${sep}v=${version}`;
    };
    // The fallback: navigate the frame (first load not done yet, a text frame, a failed fetch).
    const navigate = (frame, version) => {
      remember(frame);
      frame.dataset.pending = "1";
      frame.src = url(frame, version);
    };
    // A frame whose loaded document came from this server and is an HTML email can take a new one in place.
    const swappable = (frame) => {
      try {
        const doc = frame.contentDocument;
        return Boolean(!frame.dataset.pending && doc && doc.readyState === "complete" && doc.documentElement
          && doc.contentType === "text/html" && frame.dataset.src.startsWith("email.html")
          && new URL(doc.URL).pathname === new URL(frame.dataset.src, location.href).pathname);
      } catch (e) { return false; }
    };
    const parser = new DOMParser();
    // Only the frames on screen update at once; the others when their tab is opened.
    const load = async (group, version, html) => {
      const swap = group.filter(swappable);
      for (const frame of group) {
        if (!swap.includes(frame)) navigate(frame, version);
        delete frame.dataset.stale;
      }
      if (!swap.length) return;
      let parsed;
      try {
        if (html === undefined) {
          const response = await fetch(url(swap[0], version), { cache: "no-store" });
          if (!response.ok) throw new Error(String(response.status));
          html = await response.text();
        }
        // DOMParser documents never run scripts; the frames are sandboxed without scripts anyway.
        parsed = parser.parseFromString(html, "text/html");
      } catch (e) {
        swap.forEach((frame) => navigate(frame, version));
        return;
      }
      swap.forEach((frame, i) => {
        try {
          const doc = frame.contentDocument;
          const root = i === swap.length - 1 ? doc.adoptNode(parsed.documentElement) : doc.importNode(parsed.documentElement, true);
          doc.replaceChild(root, doc.documentElement);
        } catch (e) { navigate(frame, version); }
      });
    };
    // `email`: the light view's document when the event brought it along (desktop and mobile).
    const refresh = (list, version, email) => {
      const groups = new Map();
      for (const frame of list) groups.set(frame.dataset.src, [...(groups.get(frame.dataset.src) || []), frame]);
      return Promise.all([...groups].map(([src, group]) => load(group, version, src === "email.html" ? email : undefined)));
    };
    const reloadFrames = (version, email) => {
      for (const frame of frames) if (!visible(frame)) frame.dataset.stale = String(version);
      return refresh(frames.filter(visible), version, email);
    };

    // `given` is the status an event brought along (null: the file is gone), `email` the light
    // view if it came too; without a status the page asks for status.json. Saves that arrive while frames update are merged: only the
    // newest status is painted next.
    const gone = () => ({ ...status, errors: [{ file: status.stem, line: 0, rule: "gone", message: "Die Datei gibt es nicht mehr.", severity: "error" }] });
    const FETCH = {};
    let running = false;
    let pending;
    update = async (given = FETCH, email = undefined) => {
      pending = { given, email };
      if (running) return;
      running = true;
      try {
        while (pending !== undefined) {
          const job = pending;
          pending = undefined;
          let next = job.given;
          if (next === FETCH) {
            const response = await fetch("status.json", { cache: "no-store" });
            next = response.status === 404 ? null : await response.json();
          }
          if (next === null) {
            status = gone();
            render(status);
            continue;
          }
          const changed = next.version !== status.version;
          status = next;
          render(status);
          if (changed) await reloadFrames(next.version, job.email);
        }
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
        const stale = frames.filter((frame) => visible(frame) && frame.dataset.stale);
        frames.filter((frame) => !stale.includes(frame)).forEach(restore);
        if (stale.length) refresh(stale, stale[0].dataset.stale);
      });
    }
    render(status);
  }

  // An issue page's stream brings the status with every rebuild.
  const stem = page === "issue" ? JSON.parse(document.getElementById("initial").textContent).stem : null;
  const source = new EventSource(stem === null ? "/events" : `/events?issue=${encodeURIComponent(stem)}`);
  source.addEventListener("open", () => live.classList.remove("offline"));
  source.addEventListener("error", () => live.classList.add("offline"));
  // A build may have finished between serving this page and opening the stream.
  source.addEventListener("hello", (event) => {
    if (Number(event.data) !== epoch) { epoch = Number(event.data); update(); }
  });
  source.addEventListener("reload", (event) => {
    if (stem === null) { epoch = Number(event.data); update(); return; }
    const data = JSON.parse(event.data);
    epoch = data.epoch;
    update(data.status, data.email);
  });
})();
