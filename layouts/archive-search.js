/* Archive search: no server, no build step, works from file:// (scripts load there, fetch does not).
   search-index.js (loaded on first use) sets window.KRASSE_SEARCH = {docs: [[number, title, date],
   ...], words: {folded word: [first number, difference, difference, ...]}}; a result's snippet comes
   from <number>/text.js, which calls window.krasseText(number, text).
   fold() must stay identical to fold() in pipeline/archive/search.py. */
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("treffer");
  var status = document.getElementById("status");
  if (!input || !list || !status) return;
  var MAX = 30;
  var texts = {};
  var loading = {};
  var current = [];
  var vocabulary = null;

  function fold(s) {
    return s.normalize("NFC").toLowerCase()
      .replace(/ä/g, "ae").replace(/ö/g, "oe").replace(/ü/g, "ue").replace(/ß/g, "ss")
      .normalize("NFKD").replace(/\p{M}/gu, "");
  }
  function terms(q) { return fold(q).split(/[^\p{L}\p{N}]+/u).filter(Boolean); }
  function load(src, done) {
    var s = document.createElement("script");
    s.src = src;
    s.onload = done;
    s.onerror = function () { status.textContent = "Der Suchindex konnte nicht geladen werden."; };
    document.head.appendChild(s);
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  /* The sentence around the first word that starts with a term, the word marked. */
  function snippet(text, ts, p) {
    var re = /[\p{L}\p{N}]+/gu, m, hit = null;
    while ((m = re.exec(text))) {
      var w = fold(m[0]);
      if (ts.some(function (t) { return w.indexOf(t) === 0; })) { hit = m; break; }
    }
    p.textContent = "";
    if (!hit) { p.textContent = text.slice(0, 160) + (text.length > 160 ? " …" : ""); return; }
    var from = Math.max(0, text.lastIndexOf(" ", Math.max(0, hit.index - 70)));
    var to = text.indexOf(" ", Math.min(text.length, hit.index + hit[0].length + 90));
    if (to < 0) to = text.length;
    p.appendChild(document.createTextNode((from > 0 ? "… " : "") + text.slice(from, hit.index).trimStart()));
    p.appendChild(el("mark", "", hit[0]));
    p.appendChild(document.createTextNode(text.slice(hit.index + hit[0].length, to) + (to < text.length ? " …" : "")));
  }

  window.krasseText = function (number, text) {
    texts[number] = text;
    current.forEach(function (r) { if (r.number === number) snippet(text, r.terms, r.p); });
  };

  function run() {
    var q = input.value.trim();
    var ts = terms(q);
    list.textContent = "";
    current = [];
    if (!ts.length) { status.textContent = ""; return; }
    var index = window.KRASSE_SEARCH, hits = [];
    vocabulary = vocabulary || Object.keys(index.words);
    /* Per term: every issue with a word that starts with it. */
    var found = ts.map(function (t) {
      var numbers = new Set();
      vocabulary.forEach(function (w) {
        if (w.lastIndexOf(t, 0) !== 0) return;
        var n = 0;
        index.words[w].forEach(function (step) { n += step; numbers.add(n); });
      });
      return numbers;
    });
    index.docs.forEach(function (d) {
      if (found.every(function (numbers) { return numbers.has(d[0]); })) {
        var inTitle = ts.every(function (t) { return fold(d[1]).indexOf(t) !== -1; });
        hits.push({ doc: d, rank: inTitle ? 0 : 1 });
      }
    });
    hits.sort(function (a, b) { return a.rank - b.rank || b.doc[0] - a.doc[0]; });
    status.textContent = hits.length === 0 ? "Keine Ausgabe gefunden."
      : hits.length === 1 ? "1 Ausgabe gefunden."
      : hits.length + " Ausgaben gefunden" + (hits.length > MAX ? ", die neuesten " + MAX + " stehen hier." : ".");
    hits.slice(0, MAX).forEach(function (h) {
      var d = h.doc, li = el("li"), a = el("a", "", "No. " + d[0] + ": " + d[1]), p = el("p", "snippet");
      a.href = d[0] + "/index.html";
      li.appendChild(a);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("time", "", d[2]));
      li.appendChild(p);
      list.appendChild(li);
      current.push({ number: d[0], terms: ts, p: p });
      if (texts[d[0]] !== undefined) snippet(texts[d[0]], ts, p);
      else if (!loading[d[0]]) { loading[d[0]] = true; load(d[0] + "/text.js"); }
    });
    try { history.replaceState(null, "", "?q=" + encodeURIComponent(q) + "#suche"); } catch (e) { /* file:// */ }
  }

  var timer = 0;
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (window.KRASSE_SEARCH) run();
      else if (!loading.index) {
        loading.index = true;
        status.textContent = "Suchindex wird geladen …";
        load("search-index.js", run);
      }
    }, 120);
  }
  input.addEventListener("input", schedule);
  input.form.addEventListener("submit", function (e) { e.preventDefault(); schedule(); });
  var initial = new URLSearchParams(location.search).get("q");
  if (initial) { input.value = initial; schedule(); }
})();
