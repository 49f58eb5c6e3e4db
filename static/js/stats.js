/* Statistics page (stats/stats.html): the bar chart of submissions by day (Chart.js, static/vendor/chartjs).
   Its data come in the canvas's data-chart attribute: {"labels": [days], "counts": [numbers], "label": text}. */
(function () {
  'use strict';
  var canvas = document.getElementById('by-day-chart');
  if (!canvas || !window.Chart) return;
  var data = JSON.parse(canvas.dataset.chart);
  new window.Chart(canvas, {
    type: 'bar',
    data: { labels: data.labels, datasets: [{ label: data.label, data: data.counts, backgroundColor: '#dc3545' }] },
    options: { maintainAspectRatio: false, plugins: { legend: { display: false } },
               scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
})();
