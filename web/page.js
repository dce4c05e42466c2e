/* clnet's pages (src/report/page.c writes them): a sweep's index.html (the table of its runs,
 * sortable and filterable, and every run's curves overlaid) and a run's index.html (its curves,
 * predictions, confusion matrix, summary.json, resolved config against the sweep's, layer
 * statistics). Everything comes from the JSON that clnet embedded in the page
 * (<script id="clnet-data">): a page opened from file:// may not fetch its neighbours. Charts
 * are uPlot's (embedded before this script). Nothing is loaded from anywhere. */
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("clnet-data").textContent);
  const page = { data: data, charts: [] }; /* for the browser tests */
  window.clnetPage = page;

  /* ---- small helpers ------------------------------------------------------------------- */

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") e.textContent = v;
      else if (k === "class") e.className = v;
      else e.setAttribute(k, v);
    }
    for (const c of children || []) if (c != null) e.append(c);
    return e;
  }

  function fixed(v, d) {
    return typeof v === "number" && isFinite(v) ? v.toFixed(d) : "";
  }

  function parseJson(text) {
    if (text == null) return null;
    try {
      return JSON.parse(text);
    } catch (e) {
      return { error: String(e) };
    }
  }

  function section(title, id) {
    const s = el("section", { id: id }, [el("h2", { text: title })]);
    document.getElementById("app").append(s);
    return s;
  }

  /* Colour k of the series: clnet's palette (the PNG plots'), then dashes past its length. */
  function style(k) {
    const p = data.palette;
    const dash = [[], [8, 4], [2, 3], [10, 3, 2, 3]][Math.floor(k / p.length) % 4];
    return { stroke: p[k % p.length], dash: dash };
  }

  /* ---- charts -------------------------------------------------------------------------- */

  /* Series over different x values joined on the union of the x values (uPlot's data are
   * aligned), gaps as null and spanned. */
  function align(xs, ys) {
    const all = Array.from(new Set(xs.flat())).sort((a, b) => a - b);
    const at = new Map(all.map((x, i) => [x, i]));
    const cols = ys.map((y, s) => {
      const col = new Array(all.length).fill(null);
      xs[s].forEach((x, i) => (col[at.get(x)] = y[i] == null || !isFinite(y[i]) ? null : y[i]));
      return col;
    });
    return [all].concat(cols);
  }

  /* Worth a log axis: every value positive and spanning more than ten times. */
  function spansDecade(cols) {
    let lo = Infinity, hi = -Infinity;
    for (const c of cols)
      for (const v of c) {
        if (v == null) continue;
        if (v <= 0) return false;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    return lo < hi && hi > 10 * lo;
  }

  /* A uPlot chart in parent: every series toggled by a click on its legend entry, the values
   * under the cursor in the legend, zoom by dragging across (double click: back), charts of
   * one group sharing their cursor and the series shown. */
  function chart(parent, opt) {
    const box = el("div", { class: "chart", id: opt.id });
    parent.append(box);
    const log = opt.log === true || (opt.log === "auto" && spansDecade(opt.data.slice(1)));
    const series = [{ label: opt.xlabel }].concat(
      opt.labels.map((label, i) => {
        const s = opt.styles ? opt.styles[i] : style(i);
        return { label: label, stroke: s.stroke, dash: s.dash, width: s.width || 2,
                 spanGaps: true, points: { show: opt.data[0].length < 30 },
                 value: (u, v) => (v == null ? "-" : v.toPrecision(4)) };
      }));
    const u = new uPlot({
      title: opt.title + (log ? " (log scale)" : ""),
      width: Math.max(300, box.clientWidth || parent.clientWidth || 600),
      height: 320,
      series: series,
      scales: { x: { time: false }, y: log ? { distr: 3 } : { range: opt.range } },
      axes: [{ label: opt.xlabel }, { label: opt.ylabel, size: 60 }],
      legend: { live: true },
      cursor: { sync: opt.sync ? { key: opt.sync, setSeries: true } : undefined,
                drag: { x: true, y: false } },
      hooks: { setSeries: [(self, i) => opt.onToggle && opt.onToggle(self, i)] },
    }, opt.data, box);
    page.charts.push(u);
    return u;
  }

  function fitCharts() {
    for (const u of page.charts) {
      const w = u.root.parentNode.clientWidth;
      if (w > 0 && Math.abs(w - u.width) > 2) u.setSize({ width: Math.max(300, w), height: 320 });
    }
  }
  window.addEventListener("resize", fitCharts);

  /* ---- tables -------------------------------------------------------------------------- */

  /* A table of rows (arrays of cells: text, a number, or a node) with sortable headers:
   * numbers sort largest first on the first click, text A to Z; a second click reverses. */
  function sortableTable(columns, rows) {
    const tbody = el("tbody");
    const head = el("tr");
    const table = el("table", { class: "runs" }, [el("thead", {}, [head]), tbody]);
    let sorted = -1, ascending = true;
    columns.forEach((c, k) => {
      const th = el("th", { text: c.label, class: c.numeric ? "num" : "", "aria-sort": "none",
                            title: "sort by " + c.label });
      if (c.sortable !== false) th.addEventListener("click", () => sortBy(k));
      head.append(th);
    });
    function value(row, k) {
      const v = row.sortKeys[k];
      return v == null || (typeof v === "number" && !isFinite(v)) ? null : v;
    }
    function sortBy(k) {
      ascending = sorted === k ? !ascending : !columns[k].numeric;
      sorted = k;
      const dir = ascending ? 1 : -1;
      const order = rows.slice().sort((a, b) => {
        const x = value(a, k), y = value(b, k);
        if (x === y) return a.index - b.index;
        if (x == null) return 1; /* blanks last either way */
        if (y == null) return -1;
        return (typeof x === "number" ? x - y : String(x).localeCompare(String(y))) * dir;
      });
      for (const r of order) tbody.append(r.tr);
      head.querySelectorAll("th").forEach((th, i) => th.setAttribute(
        "aria-sort", i === k ? (ascending ? "ascending" : "descending") : "none"));
    }
    rows.forEach((r, i) => {
      r.index = i;
      r.tr = el("tr", {}, r.cells.map((c, k) => el("td", { class: columns[k].numeric ? "num" : "" },
                                                    [c instanceof Node ? c : String(c)])));
      tbody.append(r.tr);
    });
    return table;
  }

  function keyValueTable(obj) {
    const rows = Object.entries(obj).map(([k, v]) => el("tr", {}, [
      el("th", { text: k }),
      el("td", { text: v !== null && typeof v === "object" ? JSON.stringify(v) : String(v) })]));
    return el("table", { class: "kv" }, [el("tbody", {}, rows)]);
  }

  function scroller(node) {
    return el("div", { class: "scroll" }, [node]);
  }

  /* ---- the sweep page ------------------------------------------------------------------ */

  function runNumbers(run) {
    const s = parseJson(run.summary) || {};
    const parts = [s.startup_seconds, s.train_seconds, s.eval_seconds].filter(
      (v) => typeof v === "number");
    return { final: s.final_test_accuracy, best: s.best_test_accuracy,
             rate: s.iterations_per_second,
             seconds: parts.length ? parts.reduce((a, b) => a + b, 0) : null,
             status: run.status || s.status || "no summary.json" };
  }

  function sweepTable(parent, runs, toggle) {
    const columns = [{ label: "show", sortable: false }, { label: "name" }, { label: "settings" },
      { label: "final test accuracy", numeric: true }, { label: "best test accuracy", numeric: true },
      { label: "iterations/s", numeric: true }, { label: "time (s)", numeric: true },
      { label: "status" }];
    const rows = runs.map((run, i) => {
      const n = runNumbers(run);
      const box = el("input", { type: "checkbox", "aria-label": "show " + run.name });
      box.checked = true;
      box.addEventListener("change", () => toggle(i, box.checked));
      const swatch = el("span", { class: "swatch" });
      swatch.style.background = style(i).stroke;
      const name = run.href ? el("a", { href: run.href, text: run.name }) : run.name;
      return { run: run, box: box,
               cells: [el("label", {}, [box, swatch]), name, run.settings, fixed(n.final, 4),
                       fixed(n.best, 4), fixed(n.rate, 1), fixed(n.seconds, 1), n.status],
               sortKeys: [null, run.name, run.settings, n.final, n.best, n.rate, n.seconds,
                          n.status] };
    });
    const filter = el("input", { type: "search", id: "filter",
                                 placeholder: "filter: name, settings or status" });
    filter.addEventListener("input", () => {
      const q = filter.value.toLowerCase();
      for (const r of rows)
        r.tr.hidden = q !== "" &&
          ![r.run.name, r.run.settings, r.cells[7]].join(" ").toLowerCase().includes(q);
    });
    parent.append(filter, scroller(sortableTable(columns, rows)));
    return rows;
  }

  function sweepPage() {
    const runs = data.runs;
    document.getElementById("app").append(
      el("h1", { text: "Sweep " + data.name }),
      el("p", { text: runs.length + " runs" + (data.source ? " from " + data.source : "") +
                ". Settings: the model (" + data.legend + "), then where a run differs from " +
                "the most common choice" + (data.common ? ", which is: " + data.common : "") +
                ". Click a column to sort, a run to open its page." }));
    const charts = [];
    const toggle = (i, show) => charts.forEach((u) => u.setSeries(i + 1, { show: show }));
    const rows = sweepTable(section("Runs", "runs"), runs, toggle);
    const onToggle = (u, i) => {
      if (i != null && i > 0) rows[i - 1].box.checked = u.series[i].show;
    };
    const curves = section("Curves", "curves");
    curves.append(el("p", { class: "hint", text: "Click a run in a legend to hide or show " +
      "it (in every chart), drag across a chart to zoom, double-click to zoom out; the legend " +
      "shows the values under the cursor." }));
    const xs = runs.map((r) => r.metrics ? r.metrics.iteration : []);
    const labels = runs.map((r) => r.name);
    const col = (name) => runs.map((r) => (r.metrics ? r.metrics[name] : []));
    const common = { xlabel: "iteration", labels: labels, sync: "sweep", onToggle: onToggle };
    charts.push(chart(curves, Object.assign({ id: "chart-accuracy", title: "test accuracy",
      ylabel: "test accuracy", data: align(xs, col("test_acc")), range: [null, null] }, common)));
    charts.push(chart(curves, Object.assign({ id: "chart-loss", title: "test loss",
      ylabel: "test loss", data: align(xs, col("test_loss")), log: "auto" }, common)));
    charts.push(chart(curves, Object.assign({ id: "chart-lr", title: "learning rate",
      ylabel: "learning rate", data: align(xs, col("lr")), log: "auto" }, common)));
    if (data.images && data.images.length) {
      const s = section("Plots for a write-up", "pngs");
      s.append(el("p", {}, data.images.map((f) => el("a", { href: f, text: f + " " }))));
    }
  }

  /* ---- the run page -------------------------------------------------------------------- */

  /* The run's curves: the mini-batch of every step (steps.csv; a run from before that file:
   * metrics.csv's one point per evaluation), the whole training set with train.eval_train:
   * full, the validation split when there is one, and the test set. */
  function runCharts(parent, run) {
    const m = run.metrics;
    if (!m || !m.iteration.length) {
      parent.append(el("p", { text: "No evaluation yet: metrics.csv has no rows." }));
      return;
    }
    const st = run.steps && run.steps.iteration.length ? run.steps : null;
    const curves = [
      { label: st ? "train (mini-batch, every step)" : "train (mini-batch)",
        x: (st || m).iteration, acc: (st || m).train_acc, loss: (st || m).train_loss,
        style: { stroke: data.palette[0], width: 1 } },
      { label: "train (whole set)", x: m.iteration, acc: m.full_train_acc,
        loss: m.full_train_loss, style: { stroke: data.palette[2], width: 2 } },
      { label: "validation", x: m.iteration, acc: m.val_acc, loss: m.val_loss,
        style: { stroke: data.palette[3], width: 2 } },
      { label: "test", x: m.iteration, acc: m.test_acc, loss: m.test_loss,
        style: { stroke: data.palette[1], width: 2 } },
    ].filter((c) => c.acc);
    const labels = curves.map((c) => c.label), styles = curves.map((c) => c.style);
    const xs = curves.map((c) => c.x);
    /* a loss without a classification term: accuracies are null (nan) in every row */
    if (curves.some((c) => c.acc.some((v) => v != null)))
      chart(parent, { id: "chart-accuracy", title: "accuracy", xlabel: "iteration",
        ylabel: "accuracy", labels: labels, styles: styles, sync: "run",
        data: align(xs, curves.map((c) => c.acc)) });
    chart(parent, { id: "chart-loss", title: "loss", xlabel: "iteration", ylabel: "loss",
      labels: labels, styles: styles, sync: "run", log: "auto",
      data: align(xs, curves.map((c) => c.loss)) });
    /* train.loss's terms: each one's test-set mean before its weight (test_loss_NAME) */
    const terms = Object.keys(m).filter((k) => k.startsWith("test_loss_"));
    if (terms.length)
      chart(parent, { id: "chart-terms", title: "loss terms (test set, before their weights)",
        xlabel: "iteration", ylabel: "term", labels: terms.map((k) => k.slice(10)),
        styles: terms.map((k, i) => Object.assign(style(i), { width: 2 })), sync: "run",
        log: "auto", data: [m.iteration].concat(terms.map((k) => m[k])) });
    chart(parent, { id: "chart-lr", title: "learning rate", xlabel: "iteration",
      ylabel: "learning rate", labels: ["learning rate"], styles: [{ stroke: data.palette[4] }],
      sync: "run", log: "auto", data: [m.iteration, m.lr] });
  }

  /* Each line of config.yaml with its key path (model.layers.3 for a list item, which clnet
   * writes on one line), so the lines holding a key that differs from the sweep can be marked.
   * leaf: the line holds a value (not only "key:" opening a block). */
  function configLines(text) {
    const stack = []; /* {indent, path, items} of the blocks the line is in */
    return text.split("\n").map((line) => {
      const m = /^( *)(- )?([A-Za-z0-9_]+)?(:?)(.*)$/.exec(line);
      if (line.trim() === "" || line.trim().startsWith("#")) return { line: line };
      const indent = m[1].length;
      while (stack.length && stack[stack.length - 1].indent >= indent) stack.pop();
      const top = stack.length ? stack[stack.length - 1] : { path: [], items: 0 };
      if (m[2]) {
        top.items = (top.items || 0) + 1;
        return { line: line, path: top.path.concat(String(top.items - 1)).join("."), leaf: true };
      }
      const path = top.path.concat(m[3] || []);
      const opens = m[4] === ":" && m[5].trim() === "";
      if (opens) stack.push({ indent: indent, path: path, items: 0 });
      return { line: line, path: path.join("."), leaf: !opens };
    });
  }

  function configSection(run) {
    const s = section("Resolved config", "config");
    const diffs = run.diffs || [];
    if (data.sweep && diffs.length) {
      s.append(el("p", { text: "Where this run differs from the sweep's most common choice:" }),
        scroller(el("table", { class: "kv diffs" }, [el("thead", {}, [el("tr", {}, [
          el("th", { text: "key" }), el("th", { text: "this run" }),
          el("th", { text: "most runs" })])]), el("tbody", {}, diffs.map((d) => el("tr", {}, [
          el("td", { text: d.key }), el("td", { text: d.value == null ? "(absent)" : d.value }),
          el("td", { text: d.tie ? "(no value is the most common)" :
                           d.common == null ? "(absent)" : d.common })])))])));
    } else if (data.sweep) {
      s.append(el("p", { text: "Every setting is the sweep's most common choice." }));
    }
    if (run.config == null) {
      s.append(el("p", { text: "No config.yaml in the run's folder." }));
      return;
    }
    const pre = el("pre", { class: "config" });
    for (const l of configLines(run.config)) {
      const hit = l.path && l.leaf && diffs.find((d) => d.key === l.path ||
                                                 d.key.startsWith(l.path + "."));
      const span = el("span", { class: hit ? "line diff" : "line", text: l.line + "\n" });
      if (hit) span.title = "most runs: " + diffs.filter((d) => d.key === l.path ||
        d.key.startsWith(l.path + ".")).map((d) => d.key + " = " +
        (d.tie ? "(no most common value)" : d.common)).join(", ");
      pre.append(span);
    }
    s.append(scroller(pre));
  }

  function csvRows(text) {
    const lines = text.split("\n").filter((l) => l !== "");
    const head = lines.shift().split(",");
    return { head: head, rows: lines.map((l) => l.split(",")) };
  }

  /* layer_stats.csv: the last recorded step per layer and tensor, and a chart of the share of
   * units whose weight-gradient row is all zero (dead ReLUs) per layer over the steps. */
  function layerStats(s, text) {
    const t = csvRows(text);
    const col = (name) => t.head.indexOf(name);
    const it = col("iteration"), layer = col("layer"), tensor = col("tensor");
    const last = Math.max(...t.rows.map((r) => Number(r[it])));
    s.append(el("p", { text: "At iteration " + last + " (train.layer_stats; README, Per-layer " +
                             "statistics):" }));
    s.append(scroller(el("table", { class: "kv stats" }, [
      el("thead", {}, [el("tr", {}, t.head.map((h) => el("th", { text: h })))]),
      el("tbody", {}, t.rows.filter((r) => Number(r[it]) === last).map((r) =>
        el("tr", {}, r.map((v) => el("td", { text: v })))))])));
    const g = col("grad_zero_rows");
    const weights = t.rows.filter((r) => r[tensor] === "weight");
    const layers = Array.from(new Set(weights.map((r) => r[layer])));
    if (g < 0 || !layers.length) return;
    const xs = layers.map((l) => weights.filter((r) => r[layer] === l).map((r) => Number(r[it])));
    const ys = layers.map((l) => weights.filter((r) => r[layer] === l).map((r) => Number(r[g])));
    chart(s, { id: "chart-layer-stats", title: "units with an all-zero weight gradient",
      xlabel: "iteration", ylabel: "grad_zero_rows", labels: layers.map((l) => "layer " + l),
      data: align(xs, ys), range: [0, 1] });
  }

  function confusionSection(run) {
    const s = section("Confusion matrix", "confusion");
    const c = parseJson(run.confusion_json);
    if (c && Array.isArray(c.counts || c)) {
      const counts = c.counts || c;
      const rows = counts.map((row, i) => {
        const total = row.reduce((a, b) => a + b, 0) || 1;
        return el("tr", {}, [el("th", { text: String(i) })].concat(row.map((v, j) => {
          const td = el("td", { class: "num", text: String(v) });
          td.style.background = "rgba(" + (i === j ? "0,114,178," : "213,94,0,") +
                                (v / total).toFixed(3) + ")";
          return td;
        })));
      });
      s.append(el("p", { text: "Rows: the true class; columns: the predicted one." }),
        scroller(el("table", { class: "confusion" }, [el("thead", {}, [el("tr", {},
          [el("th", { text: "" })].concat(counts[0].map((_, j) => el("th", { text: String(j) }))))]),
          el("tbody", {}, rows)])));
    } else if (c) {
      s.append(el("pre", { text: JSON.stringify(c, null, 2) }));
    }
    if (run.files.includes("confusion.png"))
      s.append(el("img", { src: "confusion.png", alt: "confusion matrix", class: "plot" }));
    if (!c && !run.files.includes("confusion.png"))
      s.append(el("p", { class: "hint", text: "This run wrote no confusion.png or " +
                                              "confusion.json." }));
  }

  function runPage() {
    const run = data.run;
    const n = runNumbers(run);
    const app = document.getElementById("app");
    if (data.sweep)
      app.append(el("p", {}, [el("a", { href: "../index.html", id: "back",
                                        text: "← sweep " + data.sweep })]));
    app.append(el("h1", { text: run.name }),
      el("p", { id: "status", text: n.status + (run.settings ? " · " + run.settings : "") +
        (typeof n.final === "number" ? " · final test accuracy " + fixed(n.final, 4) +
                                       " (best " + fixed(n.best, 4) + ")" : "") }));
    const curves = section("Curves", "curves");
    curves.append(el("p", { class: "hint", text: "Click a curve's name to hide or show it, " +
      "drag across a chart to zoom, double-click to zoom out." }));
    runCharts(curves, run);
    if (run.files.includes("predictions.png")) {
      const recon = run.files.includes("predictions.safetensors"); // a reconstruction model
      section("Predictions", "predictions").append(el("img", { src: "predictions.png",
        alt: recon ? "test images: the input, the target and the model's output side by side"
                   : "100 test images and the model's classes", class: "plot" }));
    }
    confusionSection(run);
    const sum = parseJson(run.summary);
    section("summary.json", "summary").append(sum ? scroller(keyValueTable(sum))
      : el("p", { text: "No summary.json: the run has not ended." }));
    configSection(run);
    if (run.layer_stats) layerStats(section("Layer statistics", "layer-stats"), run.layer_stats);
    const files = section("Files", "files");
    files.append(el("p", {}, run.files.map((f) => el("a", { href: f, text: f + " " }))));
  }

  if (data.kind === "sweep") sweepPage();
  else runPage();
  fitCharts();
  document.body.setAttribute("data-ready", "1");
})();
