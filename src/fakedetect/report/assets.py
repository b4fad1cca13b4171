"""Inline CSS and JavaScript of the review report (no CDN, no external fonts).

Kept as Python strings so the pages stay self-contained and the package needs no data
files. The index script reads the accounts from an inline JSON block, so a table of tens
of thousands of accounts sorts and filters without building a DOM row per account.
"""

from __future__ import annotations

#: Content-Security-Policy of every page: nothing may be fetched from anywhere.
CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
       "script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'")

CSS = """
:root{--ink:#111827;--muted:#4b5563;--line:#e5e7eb;--bg:#f8fafc;--card:#fff;
--fake:#b42318;--fake-bg:#fde8e7;--review:#8a5a00;--review-bg:#fdf0d5;
--ok:#1e6b43;--ok-bg:#dcf3e4;--none:#4b5563;--none-bg:#eceff3;
--to-fake:#d1495b;--to-genuine:#2e86ab}
*{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--ink);background:var(--bg);line-height:1.45;font-size:15px}
body{margin:0}
main{max-width:1120px;margin:0 auto;padding:20px 24px 48px}
h1{font-size:1.6rem;margin:.2rem 0 .4rem}
h1 small{font-size:.95rem;color:var(--muted);font-weight:400;margin-left:.5rem}
h2{font-size:1.15rem;margin:0 0 .6rem}
a{color:#1f5fae}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;
padding:16px 20px;margin:16px 0}
.muted{color:var(--muted)}
.missing{color:var(--muted);font-style:italic}
.nav{font-size:.9rem;margin-bottom:.4rem}
.badge{display:inline-block;padding:.12rem .55rem;border-radius:999px;font-weight:600;
font-size:.85rem;white-space:nowrap;border:1px solid transparent}
.v-fake{color:var(--fake);background:var(--fake-bg);border-color:#f4b8b3}
.v-review{color:var(--review);background:var(--review-bg);border-color:#f0d49a}
.v-authentic{color:var(--ok);background:var(--ok-bg);border-color:#a9dcbc}
.v-none,.v-other{color:var(--none);background:var(--none-bg);border-color:#d5dae1}
.badge.big{font-size:1.05rem;padding:.25rem .8rem}
.headline{display:flex;flex-wrap:wrap;gap:12px 28px;align-items:center;margin:.6rem 0}
.stat{display:flex;flex-direction:column}
.stat b{font-size:1.35rem}
.stat span{font-size:.8rem;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
.note{background:#f1f5f9;border-left:4px solid #94a3b8;padding:8px 12px;border-radius:4px;
font-size:.92rem}
.warn{background:#fff7ed;border-left:4px solid #ea580c;padding:8px 12px;border-radius:4px;
font-size:.92rem}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:10px 16px;
min-width:140px}
.card b{display:block;font-size:1.5rem}
svg.chart{width:100%;height:auto;display:block;margin:6px 0}
svg.chart.narrow{display:none}
svg.chart text{font-family:inherit}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.ci{color:var(--muted);font-size:.82rem}
main:has(#accounts){max-width:1380px}
#accounts td.num .ci{display:block}
.user{display:block;color:var(--muted);font-size:.82rem}
td.reason{min-width:12em;white-space:normal}
#accounts th,#accounts th.num{white-space:normal;vertical-align:bottom}
.why{display:block;color:var(--muted);font-size:.82rem;max-width:16em;margin-top:2px}
#accounts{table-layout:auto}
td,th,li,p{overflow-wrap:break-word}
.kv td{overflow-wrap:anywhere}
.kv th{width:220px;color:var(--muted);font-weight:500}
.reasons{list-style:none;padding:0;margin:0}
.reasons li{display:grid;grid-template-columns:minmax(0,1fr) minmax(120px,240px) 190px;
gap:12px;align-items:center;padding:7px 0;border-bottom:1px solid var(--line)}
.reasons li:last-child{border-bottom:0}
.div-bar{display:grid;grid-template-columns:1fr 1fr;height:14px}
.div-bar .neg{display:flex;justify-content:flex-end;border-right:1px solid #9ca3af}
.div-bar .pos{display:flex;justify-content:flex-start}
.div-bar .neg i{background:var(--to-genuine);display:block;height:100%}
.div-bar .pos i{background:var(--to-fake);display:block;height:100%}
.contrib{font-size:.85rem;color:var(--muted);font-variant-numeric:tabular-nums}
.tools{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin:8px 0 12px}
.tools input,.tools select{font:inherit;padding:6px 9px;border:1px solid #cbd5e1;
border-radius:6px;background:#fff}
.tools input{min-width:280px}
.table-wrap{overflow-x:auto}
#accounts thead th{position:sticky;top:0;background:#f1f5f9;z-index:1}
#accounts th button{font:inherit;font-weight:600;background:none;border:0;padding:0;
cursor:pointer;color:var(--ink);text-align:inherit}
#accounts th[aria-sort=ascending] button::after{content:" \\25B2";font-size:.7em}
#accounts th[aria-sort=descending] button::after{content:" \\25BC";font-size:.7em}
#accounts tbody tr:hover{background:#f8fafc}
.pager{display:flex;gap:8px;align-items:center;margin-top:10px}
.pager button{font:inherit;padding:4px 10px;border:1px solid #cbd5e1;border-radius:6px;
background:#fff;cursor:pointer}
.pager button:disabled{opacity:.45;cursor:default}
details summary{cursor:pointer;color:#1f5fae}
h3{font-size:1rem;margin:.8rem 0 .3rem}
ul.plain{padding-left:1.1rem;margin:.2rem 0 .6rem}
ul.metrics{list-style:none;padding:0;margin:0;columns:2 16rem;font-variant-numeric:tabular-nums}
.checklist{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:16px}
.checklist ul{padding-left:1.1rem;margin:.2rem 0}
.checklist li{margin:.25rem 0}
#not-assessed ul{padding-left:1.1rem}
footer{color:var(--muted);font-size:.85rem;margin-top:24px}
@media (max-width:900px){.checklist{grid-template-columns:minmax(0,1fr)}}
@media (max-width:700px){
main{padding:12px 10px 32px}
section{padding:12px 12px;border-radius:8px}
h1{font-size:1.3rem}
h1 small{display:block;margin-left:0}
.headline{gap:10px 18px}
.reasons li{grid-template-columns:minmax(0,1fr);gap:4px}
.div-bar{max-width:100%}
.tools input{min-width:0;width:100%}
.kv th{width:38%}
.card{min-width:0;flex:1 1 40%}
.chart-wrap svg.chart{width:100%;min-width:0}
svg.chart.wide{display:none}
svg.chart.narrow{display:block}
#accounts thead{display:none}
#accounts,#accounts tbody{display:block}
#accounts tr{display:block;border:1px solid var(--line);border-radius:8px;margin:0 0 10px;
padding:6px 10px;background:var(--card)}
.table-wrap:has(> #accounts){overflow-x:visible}
#accounts td{display:flex;justify-content:space-between;gap:12px;border:0;padding:3px 0;
text-align:right;max-width:none;min-width:0;white-space:normal}
#accounts td::before{content:attr(data-label);color:var(--muted);text-align:left;
flex:0 0 auto;font-size:.82rem}
#accounts td.acc{display:block;text-align:left;font-weight:600}
#accounts td.acc::before{content:none}
#accounts td:has(> .cell:empty){display:none}
#accounts td .cell{min-width:0;overflow-wrap:anywhere}
#accounts td.num .ci{display:inline;white-space:nowrap}
#accounts td.reason{display:block;text-align:left}
#accounts td.reason::before{display:block}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch}
}
@media print{html{background:#fff;font-size:11pt}main{max-width:none;padding:0}
section{break-inside:avoid;border-color:#ccc;box-shadow:none}
section#shap,section#growth,section#engagement{break-inside:avoid-page}
.tools,.pager,.nav{display:none}
h2{break-after:avoid}a{color:inherit;text-decoration:none}
.checklist{grid-template-columns:repeat(3,minmax(0,1fr))}
svg.chart{max-height:9.5in}svg.chart.wide{display:block}svg.chart.narrow{display:none}
footer{break-before:avoid}}
"""

#: Script of the index page: sort on header click, text and verdict filters, paging.
#: The state lives in the URL fragment (``#q=...&verdict=...&sort=...&dir=...``), so a
#: filtered view can be bookmarked; ``data-report-ready`` marks a finished start-up.
INDEX_JS = r"""
(function () {
  "use strict";
  var root = document.documentElement;
  var raw = JSON.parse(document.getElementById("report-data").textContent);
  var n = raw.id.length;
  var rows = new Array(n);
  var i;
  for (i = 0; i < n; i++) {
    rows[i] = {i: i, id: raw.id[i], u: raw.u[i], f: raw.f[i], v: raw.v[i], s: raw.s[i],
      p: raw.p[i], sh: raw.sh[i], lo: raw.lo[i], hi: raw.hi[i], ss: raw.ss[i],
      fo: raw.fo[i], ni: raw.ni[i], r: raw.r[i], st: raw.st[i], sr: raw.sr[i],
      er: raw.er[i], eb: raw.eb[i], sp: raw.sp[i], sv: raw.sv[i], sd: raw.sd[i]};
    rows[i].text = [raw.id[i], raw.u[i], raw.ni[i], raw.r[i], raw.v[i], raw.sr[i]]
      .join(" \u0001 ").toLowerCase();
  }
  var SEVERITY = {"likely fake": 3, "review": 2, "authentic": 1};
  var KEYS = {
    id: function (r) { return r.id.toLowerCase(); },
    v: function (r) { return r.st === "scored" ? (SEVERITY[r.v] || 0) : null; },
    s: function (r) { return r.s; },
    p: function (r) { return r.p; },
    sh: function (r) { return r.sh; },
    fo: function (r) { return r.fo; },
    er: function (r) { return r.er === null || !r.eb ? null : r.er / r.eb; },
    sp: function (r) { return r.sv; },
    ni: function (r) { return r.ni ? r.ni.toLowerCase() : null; },
    r: function (r) { return r.r ? r.r.toLowerCase() : null; }
  };
  var state = {q: "", verdict: "", sort: "p", dir: -1, page: 0, size: 100};
  var table = document.getElementById("accounts");
  var tbody = table.tBodies[0];
  var query = document.getElementById("filter-text");
  var verdict = document.getElementById("filter-verdict");
  var size = document.getElementById("page-size");
  var info = document.getElementById("table-info");
  var prev = document.getElementById("page-prev");
  var next = document.getElementById("page-next");
  var shown = rows;
  var ESC = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#x27;"};
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return ESC[c]; });
  }
  function num(x) { return x.toLocaleString("en-US", {maximumFractionDigits: 0}); }
  function pct(x, digits) { return esc(rawPct(x, digits)); }
  function rawPct(x, digits) {
    var d = digits || 0, shown = (100 * x).toFixed(d);
    if (x >= 0 && x <= 1 && +shown === 100) {
      return ">" + (100 - Math.pow(10, -d)).toFixed(d) + "%";
    }
    if (x >= 0 && x <= 1 && +shown === 0) { return "<" + Math.pow(10, -d).toFixed(d) + "%"; }
    return shown + "%";
  }
  function score(x) {
    var shown = x.toFixed(0);
    return shown === "0" || shown === "-0" ? "<1" : shown === "100" ? ">99" : shown;
  }
  function times(r) {
    if (r >= 10) { return num(r) + "x"; }
    return r.toFixed(1) + "x";
  }
  var LABELS = [];
  (function () {
    var ths = document.getElementById("accounts").tHead.rows[0].cells;
    for (var c = 0; c < ths.length; c++) { LABELS.push(ths[c].textContent); }
  })();
  function td(k, cls, html, extra) {
    return "<td data-label=\"" + esc(LABELS[k]) + "\"" + (cls ? " class=\"" + cls + "\"" : "") +
      (extra || "") + "><span class=\"cell\">" + html + "</span></td>";
  }
  var CLASS = {"likely fake": "v-fake", "review": "v-review", "authentic": "v-authentic"};
  function rowHtml(r) {
    var acc = r.f ? "<a href=\"" + esc(r.f) + "\">" + esc(r.id) + "</a>" : esc(r.id);
    if (r.u && r.u !== r.id) { acc += "<span class=\"user\">@" + esc(r.u) + "</span>"; }
    var label = r.st === "scored" ? r.v : "not scored";
    var cls = r.st === "scored" ? (CLASS[r.v] || "v-other") : "v-none";
    var share = "";
    if (r.sh !== null) {
      share = pct(r.sh);
      if (r.lo !== null && r.hi !== null) {
        share += " <span class=\"ci\">(" + pct(r.lo) + "\u2013" + pct(r.hi) + ")</span>";
      }
    }
    var why = r.st === "scored" ? "" :
      "<span class=\"why\">" + esc(r.sr || "no reason given") + "</span>";
    var eng = "";
    if (r.er !== null) {
      eng = pct(r.er, 1);
      if (r.eb !== null) { eng += " <span class=\"ci\">vs usual " + pct(r.eb, 1) + "</span>"; }
    }
    var spike = "";
    if (r.sp !== null && r.sv !== null && r.sv >= 1.5) {
      spike = "+" + num(r.sp) + " on " + esc(r.sd) + " <span class=\"ci\">(" + times(r.sv) +
        " usual)</span>";
    }
    return "<tr>" + td(0, "acc", acc) +
      td(1, "", "<span class=\"badge " + cls + "\">" + esc(label) + "</span>" + why) +
      td(2, "num", r.s === null ? "" : esc(score(r.s))) +
      td(3, "num", r.p === null ? "" : pct(r.p)) +
      td(4, "num", share, r.ss ? " title=\"sample of " + num(r.ss) + " followers\"" : "") +
      td(5, "num", eng) + td(6, "num", spike) +
      td(7, "num", r.fo === null ? "" : num(r.fo)) + td(8, "", esc(r.ni || "")) +
      td(9, "reason", esc(r.r || "")) + "</tr>";
  }
  function compare(a, b) {
    var get = KEYS[state.sort];
    var x = get(a), y = get(b);
    if (x === null || x === undefined) { return (y === null || y === undefined) ? a.i - b.i : 1; }
    if (y === null || y === undefined) { return -1; }
    if (x < y) { return -state.dir; }
    if (x > y) { return state.dir; }
    return a.i - b.i;
  }
  function matches(r) {
    if (state.verdict) {
      if (state.verdict === "not scored") {
        if (r.st === "scored") { return false; }
      } else if (r.st !== "scored" || r.v !== state.verdict) { return false; }
    }
    return !state.q || r.text.indexOf(state.q) !== -1;
  }
  function writeHash() {
    var parts = [];
    if (state.q) { parts.push("q=" + encodeURIComponent(state.q)); }
    if (state.verdict) { parts.push("verdict=" + encodeURIComponent(state.verdict)); }
    if (state.sort !== "p" || state.dir !== -1) {
      parts.push("sort=" + state.sort, "dir=" + (state.dir > 0 ? "asc" : "desc"));
    }
    try {
      history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname);
    } catch (e) { /* some browsers refuse replaceState on file:// pages */ }
  }
  function readHash() {
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var k = kv.split("=")[0], v = decodeURIComponent(kv.slice(k.length + 1));
      if (k === "q") { state.q = v.toLowerCase(); query.value = v; }
      if (k === "verdict") { state.verdict = v; verdict.value = v; }
      if (k === "sort" && KEYS[v]) { state.sort = v; }
      if (k === "dir") { state.dir = v === "asc" ? 1 : -1; }
    });
  }
  function draw() {
    var start = state.size > 0 ? state.page * state.size : 0;
    var stop = state.size > 0 ? Math.min(start + state.size, shown.length) : shown.length;
    var html = [];
    for (var k = start; k < stop; k++) { html.push(rowHtml(shown[k])); }
    tbody.innerHTML = html.join("");
    info.textContent = shown.length === 0 ? "No account matches." :
      "Showing " + num(start + 1) + "\u2013" + num(stop) + " of " + num(shown.length) +
      (shown.length !== n ? " (filtered from " + num(n) + ")" : "") + ".";
    prev.disabled = start === 0;
    next.disabled = stop >= shown.length;
    var ths = table.tHead.rows[0].cells;
    for (var c = 0; c < ths.length; c++) {
      var key = ths[c].getAttribute("data-key");
      ths[c].setAttribute("aria-sort", key === state.sort ?
        (state.dir > 0 ? "ascending" : "descending") : "none");
    }
    table.setAttribute("data-rows", String(stop - start));
    table.setAttribute("data-matches", String(shown.length));
  }
  function update() {
    shown = rows.filter(matches);
    shown.sort(compare);
    state.page = 0;
    draw();
    writeHash();
  }
  table.tHead.addEventListener("click", function (ev) {
    var th = ev.target.closest("th[data-key]");
    if (!th) { return; }
    var key = th.getAttribute("data-key");
    if (state.sort === key) { state.dir = -state.dir; } else {
      state.sort = key;
      state.dir = (key === "id" || key === "ni" || key === "r") ? 1 : -1;
    }
    update();
  });
  var timer = null;
  query.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { state.q = query.value.trim().toLowerCase(); update(); }, 120);
  });
  verdict.addEventListener("change", function () { state.verdict = verdict.value; update(); });
  size.addEventListener("change", function () {
    state.size = +size.value;
    state.page = 0;
    draw();
  });
  prev.addEventListener("click", function () { state.page -= 1; draw(); });
  next.addEventListener("click", function () { state.page += 1; draw(); });
  readHash();
  update();
  root.setAttribute("data-report-ready", "1");
})();
"""
