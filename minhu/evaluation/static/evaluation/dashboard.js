/* Dashboard charts (ECharts, served from node_modules via staticfiles). Clicking a bar or a
   point opens the list of appeals behind it. */
(function () {
  "use strict";
  var el = document.getElementById("ev-data");
  if (!el || !window.echarts) return;
  var d = JSON.parse(el.textContent);
  var t = d.labels || {};  // series names in the page's language
  var base = "/evaluation/appeals/?period=" + encodeURIComponent(d.period) + "&unit=" + (d.unit || "");
  var palette = ["#1f6feb", "#e8590c", "#2f9e44", "#ae3ec9", "#f59f00", "#0ca678", "#d6336c", "#5c7cfa", "#868e96"];

  function chart(id, option, onClick) {
    var node = document.getElementById(id);
    if (!node) return null;
    var c = echarts.init(node);
    option.color = option.color || palette;
    option.animation = false;
    // Tooltips drawn on the canvas: ECharts' HTML tooltips carry style="" attributes, which
    // the Content-Security-Policy refuses.
    if (option.tooltip) option.tooltip.renderMode = "richText";
    c.setOption(option);
    if (onClick) c.on("click", onClick);
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }
  var grid = { left: 48, right: 16, top: 32, bottom: 40 };

  chart("ch-day", {
    tooltip: { trigger: "axis" }, grid: grid,
    xAxis: { type: "category", data: d.by_day.map(function (x) { return x[0].slice(5); }) },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", name: t.volume, data: d.by_day.map(function (x) { return x[1]; }) }]
  }, function (p) { window.location = base + "&dim=day&key=" + d.by_day[p.dataIndex][0]; });

  var keys = d.keys || {};
  function drill(dim, list) {
    return function (p) {
      if (list && list[p.dataIndex] !== undefined) window.location = base + "&dim=" + dim + "&key=" + encodeURIComponent(list[p.dataIndex] || "");
    };
  }

  chart("ch-yoy", {
    tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid,
    xAxis: { type: "category", data: d.volume_trend.map(function (x) { return x.period; }) },
    yAxis: [{ type: "value", minInterval: 1 }, { type: "value", axisLabel: { formatter: "{value}%" } }],
    series: [
      { type: "bar", name: t.this_period, data: d.volume_trend.map(function (x) { return x.volume; }) },
      { type: "bar", name: t.year_ago, data: d.volume_trend.map(function (x) { return x.year_ago; }) },
      { type: "line", name: t.yoy, yAxisIndex: 1, data: d.volume_trend.map(function (x) { return x.yoy; }) }
    ]
  }, function (p) {
    // this period's bar: the period's appeals (the year-ago bar opens last year's same period)
    var key = d.volume_trend[p.dataIndex].period;
    if (p.seriesIndex === 1) key = String(Number(key.slice(0, 4)) - 1) + key.slice(4);
    window.location = "/evaluation/appeals/?period=" + encodeURIComponent(key) + "&unit=" + (d.unit || "");
  });

  chart("ch-rates", {
    tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid,
    xAxis: { type: "category", data: d.rate_trend.map(function (x) { return x.period; }) },
    yAxis: { type: "value", min: function (v) { return Math.max(0, Math.floor(v.min - 5)); }, max: 100 },
    series: ["response_rate", "solve_rate", "satisfaction_rate", "composite"].map(function (k, i) {
      return { type: "line", name: t[k], connectNulls: false,
               data: d.rate_trend.map(function (x) { return x[k]; }) };
    })
  }, function (p) {
    var metric = ["response_yes", "solved", "valid", "valid"][p.seriesIndex];
    window.location = "/evaluation/rates/?period=" + d.rate_trend[p.dataIndex].period + "&unit=" + (d.unit || "") + "&metric=" + metric;
  });

  chart("ch-channel", {
    tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
    series: [{ type: "pie", radius: ["35%", "70%"], data: d.by_channel.map(function (x) { return { name: x[0], value: x[1] }; }) }]
  }, drill("channel", keys.channel));

  chart("ch-street", {
    tooltip: { trigger: "axis" }, grid: { left: 90, right: 16, top: 16, bottom: 24 },
    yAxis: { type: "category", inverse: true, data: d.by_street.map(function (x) { return x[0]; }) },
    xAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", data: d.by_street.map(function (x) { return x[1]; }) }]
  }, drill("street", keys.street));
})();
