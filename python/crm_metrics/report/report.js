// `crm-metrics report`: draws every chart of the page from its embedded rows (see the package docstring, __init__.py)
// and redraws on a filter change. `window.reportReady` is a promise settled when the latest
// drawing is done (tests wait for it).
(function () {
  "use strict";
  var specs = JSON.parse(document.getElementById("report-charts").textContent);
  var data = {};
  specs.forEach(function (c) {
    var block = JSON.parse(document.getElementById("data-" + c.key).textContent);
    block.rows = block.rows.map(function (values) {
      var row = {};
      block.columns.forEach(function (column, index) { row[column] = values[index]; });
      return row;
    });
    data[c.key] = block;
  });
  var state = {segment: "", team: "", from: "", to: ""};
  // No tool bar: drag to zoom and double-click to reset still work, and it covered the legend.
  var config = {displaylogo: false, responsive: true, displayModeBar: false};

  function fill(select, values, selected) {
    values.forEach(function (value) {
      var option = document.createElement("option");
      option.value = value;
      option.textContent = value;
      select.appendChild(option);
    });
    if (selected !== undefined) select.value = selected;
  }
  var segments = new Set(), teams = new Set(), months = new Set();
  specs.forEach(function (c) {
    data[c.key].rows.forEach(function (r) {
      if (c.filters.indexOf("segment") >= 0 && r.segment != null) segments.add(r.segment);
      if (c.filters.indexOf("team") >= 0 && r.team != null) teams.add(r.team);
      if (c.filters.indexOf("period") >= 0 && r.month != null) months.add(r.month.slice(0, 7));
    });
  });
  var monthList = Array.from(months).sort();
  fill(document.getElementById("filter-segment"), Array.from(segments).sort());
  fill(document.getElementById("filter-team"), Array.from(teams).sort());
  fill(document.getElementById("filter-from"), monthList, monthList[0]);
  fill(document.getElementById("filter-to"), monthList, monthList[monthList.length - 1]);
  state.from = monthList[0] || "";
  state.to = monthList[monthList.length - 1] || "";

  function keep(c, r) {
    if (state.segment && c.filters.indexOf("segment") >= 0 && r.segment !== state.segment) return false;
    if (state.team && c.filters.indexOf("team") >= 0 && r.team !== state.team) return false;
    if (c.filters.indexOf("period") >= 0 && r.month != null) {
      var m = r.month.slice(0, 7);
      if (state.from && m < state.from) return false;
      if (state.to && m > state.to) return false;
    }
    return true;
  }
  function add(a, b) { return b == null ? a : (a == null ? b : a + b); }
  function columnsOf(m) {
    return m.sum !== undefined ? [].concat(m.sum, m.also || []) : [].concat(m.num, m.den);
  }
  function total(group, cols) {
    var sum = null;
    cols.forEach(function (col) { sum = add(sum, group[col]); });
    return sum;
  }
  function value(m, group) {
    if (!group) return null;
    if (m.sum !== undefined) return total(group, [].concat(m.sum, m.also || []));
    var num = total(group, m.num), den = total(group, m.den);
    return num == null || den == null || den === 0 ? null : num / den;
  }
  function layout(c, extra) {
    return Object.assign({
      template: "plotly_white", margin: {l: 60, r: 60, t: 50, b: 50}, autosize: true,
      legend: {orientation: "h", x: 0, y: 1.02, yanchor: "bottom"}, hovermode: "closest"
    }, extra || {});
  }
  function noData(c, div, reason) {
    return Plotly.react(div, [], layout(c, {
      xaxis: {visible: false}, yaxis: {visible: false},
      annotations: [{text: reason, showarrow: false, x: 0.5, y: 0.5, xref: "paper",
                     yref: "paper", font: {size: 20, color: "#888"}}]
    }), config);
  }
  function drawXY(c, rows, div) {
    var s = c.spec, groups = new Map(), xs = [], xRank = new Map(), series = [], sRank = new Map();
    var needed = new Set();
    s.measures.forEach(function (m) { columnsOf(m).forEach(function (col) { needed.add(col); }); });
    if (s.x_sort) needed.add(s.x_sort.replace(/^-/, ""));
    rows.forEach(function (r) {
      var x = r[s.x], sv = s.series ? r[s.series] : "";
      if (!xRank.has(x)) { xRank.set(x, s.x_order ? r[s.x_order] : x); xs.push(x); }
      if (!sRank.has(sv)) { sRank.set(sv, s.series_order ? r[s.series_order] : sv); series.push(sv); }
      var key = sv + "\u0000" + x, group = groups.get(key);
      if (!group) { group = {}; groups.set(key, group); }
      needed.forEach(function (col) { group[col] = add(group[col] === undefined ? null : group[col], r[col]); });
    });
    function byRank(rank) {
      return function (a, b) {
        var ra = rank.get(a), rb = rank.get(b);
        return ra < rb ? -1 : ra > rb ? 1 : (a < b ? -1 : a > b ? 1 : 0);
      };
    }
    xs.sort(byRank(xRank));
    series.sort(byRank(sRank));
    if (s.x_sort) {
      var col = s.x_sort.replace(/^-/, ""), totals = new Map();
      xs.forEach(function (x) {
        var t = null;
        series.forEach(function (sv) { var g = groups.get(sv + "\u0000" + x); if (g) t = add(t, g[col]); });
        totals.set(x, t == null ? -Infinity : t);
      });
      xs.sort(function (a, b) { return totals.get(b) - totals.get(a) || (a < b ? -1 : a > b ? 1 : 0); });
    }
    if (s.x_limit && xs.length > s.x_limit) xs = xs.slice(0, s.x_limit);
    var traces = [], hasY2 = false, yFormat = null, y2Format = null;
    s.measures.forEach(function (m) {
      if (m.y2) { hasY2 = true; y2Format = y2Format || m.format || null; }
      else { yFormat = yFormat || m.format || null; }
      series.forEach(function (sv) {
        var name = s.series ? (s.measures.length > 1 ? sv + " " + m.label : String(sv)) : m.label;
        var trace = {
          name: name, x: xs.slice(),
          y: xs.map(function (x) { return value(m, groups.get(sv + "\u0000" + x)); }),
          yaxis: m.y2 ? "y2" : "y"
        };
        if (m.type === "bar") { trace.type = "bar"; }
        else {
          trace.type = "scatter";
          trace.mode = m.markers_only ? "markers" : (m.stack || xs.length > 60 ? "lines" : "lines+markers");
          if (m.markers_only) trace.marker = {size: 9, symbol: "diamond"};
        }
        if (m.stack) trace.stackgroup = "stack";
        if (s.colors && s.colors[sv]) trace.marker = Object.assign(trace.marker || {}, {color: s.colors[sv]});
        if (m.opacity) trace.opacity = m.opacity;
        traces.push(trace);
      });
    });
    var extra = {barmode: s.barmode || "group", yaxis: {tickformat: yFormat || ",.3~s", rangemode: "tozero"},
                 xaxis: {automargin: true, type: "category"}};
    if (/^\d{4}-\d{2}/.test(String(xs[0]))) extra.xaxis = {automargin: true};
    else if (xs.length > 8) extra.xaxis.tickangle = -40;
    if (hasY2) extra.yaxis2 = {overlaying: "y", side: "right", tickformat: y2Format || ",.3~s",
                               rangemode: "tozero", showgrid: false, tickmode: "auto"};
    if (s.reference !== undefined) {
      extra.shapes = [{type: "line", xref: "paper", x0: 0, x1: 1, y0: s.reference, y1: s.reference,
                       line: {dash: "dash", color: "#555"}}];
    }
    return Plotly.react(div, traces, layout(c, extra), config);
  }
  function drawFunnel(c, rows, div) {
    var s = c.spec, sums = new Map(), order = new Map();
    rows.forEach(function (r) {
      sums.set(r[s.stage], add(sums.has(r[s.stage]) ? sums.get(r[s.stage]) : null, r[s.value]));
      order.set(r[s.stage], r[s.order]);
    });
    var stages = Array.from(sums.keys()).sort(function (a, b) { return order.get(a) - order.get(b); });
    return Plotly.react(div, [{type: "funnel", name: "deals that reached the stage", y: stages,
      x: stages.map(function (st) { return sums.get(st); }), textinfo: "value+percent initial"}],
      layout(c, {margin: {l: 140, r: 30, t: 20, b: 40}}), config);
  }
  function drawWaterfall(c, rows, div) {
    var sorted = rows.slice().sort(function (a, b) { return a.month < b.month ? -1 : 1; });
    var steps = [["new", "new_mrr"], ["expansion", "expansion_mrr"], ["reactivation", "reactivation_mrr"],
                 ["contraction", "contraction_mrr"], ["churn", "churned_mrr"]];
    var x = ["start " + sorted[0].month], y = [sorted[0].starting_mrr];
    steps.forEach(function (step) {
      x.push(step[0]);
      y.push(sorted.reduce(function (sum, r) { return add(sum, r[step[1]]); }, null));
    });
    x.push("end " + sorted[sorted.length - 1].month);
    y.push(sorted[sorted.length - 1].ending_mrr);
    var measure = ["absolute"].concat(steps.map(function () { return "relative"; }), ["total"]);
    return Plotly.react(div, [{type: "waterfall", name: "MRR", x: x, y: y, measure: measure}],
      layout(c, {yaxis: {tickformat: ",.3~s"}}), config);
  }
  function drawHeatmap(c, rows, div) {
    var cohorts = Array.from(new Set(rows.map(function (r) { return r.month; }))).sort();
    var ages = Array.from(new Set(rows.map(function (r) { return r.months_since_start; })))
      .sort(function (a, b) { return a - b; });
    var cell = new Map();
    rows.forEach(function (r) { cell.set(r.month + "|" + r.months_since_start, r); });
    var z = cohorts.map(function (cohort) {
      return ages.map(function (age) {
        var r = cell.get(cohort + "|" + age);
        return r && r.cohort_customers ? r.active_customers / r.cohort_customers : null;
      });
    });
    return Plotly.react(div, [{type: "heatmap", name: "logo retention", x: ages, y: cohorts, z: z,
      colorscale: "Blues", reversescale: true, zmin: 0, zmax: 1,
      hovertemplate: "cohort %{y}, month %{x}: %{z:.0%}<extra></extra>"}],
      layout(c, {xaxis: {title: {text: "months since start"}},
                 yaxis: {type: "category", autorange: "reversed"}}), config);
  }
  var tableSort = {};
  function drawTable(c, rows, div) {
    var columns = c.spec.columns, sort = tableSort[c.key] || {column: null, descending: true};
    var shown = rows.slice();
    if (sort.column) {
      shown.sort(function (a, b) {
        var va = a[sort.column], vb = b[sort.column];
        var cmp = va == null ? 1 : vb == null ? -1 : (va < vb ? -1 : va > vb ? 1 : 0);
        return sort.descending ? -cmp : cmp;
      });
    }
    var table = document.createElement("table");
    table.className = "deals";
    var head = table.createTHead().insertRow();
    columns.forEach(function (column) {
      var th = document.createElement("th");
      th.textContent = column[0] + (sort.column === column[1] ? (sort.descending ? " ▼" : " ▲") : "");
      th.dataset.column = column[1];
      th.addEventListener("click", function () {
        tableSort[c.key] = {column: column[1],
          descending: sort.column === column[1] ? !sort.descending : true};
        drawTable(c, rows, div);
      });
      head.appendChild(th);
    });
    var body = table.createTBody();
    shown.forEach(function (r) {
      var tr = body.insertRow();
      columns.forEach(function (column) {
        var td = tr.insertCell(), v = r[column[1]];
        if (typeof v === "number") {
          td.className = "num";
          td.textContent = v.toLocaleString("en-US", {maximumFractionDigits: column[2] || 0});
        } else { td.textContent = v == null ? "" : v; }
      });
    });
    div.replaceChildren();
    var caption = document.createElement("p");
    caption.className = "note";
    caption.textContent = shown.length + " " + (c.spec.unit || "rows");
    div.appendChild(caption);
    div.appendChild(table);
    return Promise.resolve();
  }
  var drawers = {xy: drawXY, funnel: drawFunnel, waterfall: drawWaterfall, heatmap: drawHeatmap,
                 table: drawTable};
  function draw(c) {
    var div = document.getElementById("chart-" + c.key), block = data[c.key];
    var rows = block.rows.filter(function (r) { return keep(c, r); });
    if (c.kind === "table" && (!block.built || rows.length === 0)) {
      div.innerHTML = '<div class="no-data">' + (block.built ? "no data" :
        "no data (" + c.mart + " is not built)") + "</div>";
      return Promise.resolve();
    }
    if (!block.built) return noData(c, div, "no data (" + c.mart + " is not built)");
    if (rows.length === 0) return noData(c, div, "no data");
    return drawers[c.kind](c, rows, div);
  }
  function drawAll() {
    window.reportReady = Promise.all(specs.map(draw));
    return window.reportReady;
  }
  // Any change reads all four filters (so several can be set before one change event).
  var names = ["segment", "team", "from", "to"];
  names.forEach(function (name) {
    document.getElementById("filter-" + name).addEventListener("change", function () {
      names.forEach(function (other) {
        state[other] = document.getElementById("filter-" + other).value;
      });
      drawAll();
    });
  });
  drawAll();
})();
