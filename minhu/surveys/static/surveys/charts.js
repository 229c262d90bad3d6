// One bar chart per choice or rating question of the results page (data in #survey-charts).
document.addEventListener("DOMContentLoaded", function () {
  var data = JSON.parse(document.getElementById("survey-charts").textContent);
  data.forEach(function (c) {
    var el = document.getElementById(c.id);
    if (!el || !window.echarts) return;
    var chart = echarts.init(el);
    chart.setOption({
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: c.labels, inverse: true },
      series: [{ type: "bar", data: c.counts, label: { show: true, position: "right" } }],
      tooltip: { renderMode: "richText" },  // on the canvas: HTML tooltips carry style="" (CSP)
    });
    el.dataset.ready = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
