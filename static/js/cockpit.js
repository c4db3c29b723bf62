// Draws the cockpit's charts from the JSON block the page carries (no inline script: CSP).
(function () {
  var el = document.getElementById("cockpit-data");
  if (!el || !window.echarts) { return; }
  var data = JSON.parse(el.textContent);
  var yi = function (yuan) { return Math.round(yuan / 1e6) / 100; };   // 元 -> 亿元, 2 decimals
  var wan = function (yuan) { return Math.round(yuan / 1e3) / 10; };   // 元 -> 万元, 1 decimal
  var charts = [];
  function draw(id, option) {
    var node = document.getElementById(id);
    if (!node) { return; }
    var chart = echarts.init(node);
    chart.setOption(option);
    charts.push(chart);
  }
  draw("chart-gauge", {
    series: [{
      type: "gauge", min: 0, max: 100, progress: { show: true, width: 14 },
      axisLine: { lineStyle: { width: 14 } }, detail: { formatter: "{value}%", fontSize: 22 },
      title: { offsetCenter: [0, "75%"] },
      data: [{ value: Math.round(data.percent * 10) / 10, name: "目标完成率" }]
    }]
  });
  draw("chart-months", {
    tooltip: { trigger: "axis" }, grid: { left: 50, right: 10, top: 20, bottom: 30 },
    xAxis: { type: "category", data: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"] },
    yAxis: { type: "value", name: "万元" },
    series: [{ type: "bar", data: data.months.map(wan), itemStyle: { color: "#0d6efd" } }]
  });
  draw("chart-series", {
    tooltip: { trigger: "axis" }, grid: { left: 50, right: 10, top: 20, bottom: 30 },
    xAxis: { type: "category", data: data.series.map(function (s) { return s.year + "年"; }) },
    yAxis: { type: "value", name: "亿元" },
    series: [
      { type: "line", name: "成交额", data: data.series.map(function (s) { return yi(s.amount); }), label: { show: true } },
      { type: "line", name: "年度目标", data: data.series.map(function () { return yi(data.target); }),
        lineStyle: { type: "dashed" }, symbol: "none" }
    ]
  });
  Object.keys(data.breakdowns).forEach(function (dim) {
    var rows = data.breakdowns[dim];
    if (!rows.length) { return; }
    draw("chart-" + dim, {
      tooltip: {}, grid: { left: 110, right: 20, top: 10, bottom: 20 },
      xAxis: { type: "value", name: "万元" },
      yAxis: { type: "category", data: rows.map(function (r) { return r.label; }) },
      series: [{ type: "bar", data: rows.map(function (r) { return wan(r.amount); }), itemStyle: { color: "#198754" } }]
    });
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
