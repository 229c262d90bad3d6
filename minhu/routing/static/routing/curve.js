/* Automatic-dispatch curve on the routing admin page (ECharts): coverage and precision of the
   active model's evaluation by confidence threshold; a click puts that threshold into the
   settings form. */
(function () {
  "use strict";
  function init() {
    var el = document.getElementById("rt-curve-data");
    var node = document.getElementById("rt-curve");
    if (!el || !node || !window.echarts) return;
    var d = JSON.parse(el.textContent);
    var t = d.labels || {};
    var chart = echarts.init(node);
    var pct = function (v) { return (v * 100).toFixed(1) + "%"; };
    chart.setOption({
      animation: false,
      color: ["#1f6feb", "#e8590c"],
      tooltip: {
        trigger: "axis",
        renderMode: "richText",  // on the canvas: HTML tooltips carry style="" (CSP)
        valueFormatter: function (v) { return pct(v); }
      },
      legend: { top: 0 },
      grid: { left: 44, right: 16, top: 48, bottom: 36 },
      xAxis: {
        type: "category", name: t.threshold, nameLocation: "middle", nameGap: 24,
        data: d.thresholds.map(function (x) { return x.toFixed(2); })
      },
      yAxis: { type: "value", min: function (v) { return Math.max(0, Math.floor(v.min * 10) / 10); }, max: 1,
               axisLabel: { formatter: function (v) { return Math.round(v * 100) + "%"; } } },
      series: [
        { type: "line", name: t.coverage, data: d.coverage, showSymbol: false,
          markLine: { symbol: "none", silent: true, label: { formatter: t.current },
                      data: [{ xAxis: d.threshold.toFixed(2) }] } },
        { type: "line", name: t.precision, data: d.precision, showSymbol: false }
      ]
    });
    chart.getZr().on("click", function (e) {
      var p = chart.convertFromPixel({ gridIndex: 0 }, [e.offsetX, e.offsetY]);
      if (!p) return;
      var i = Math.max(0, Math.min(d.thresholds.length - 1, Math.round(p[0])));
      var input = document.querySelector("input[name=threshold]");
      if (input) { input.value = d.thresholds[i]; input.focus(); }
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
