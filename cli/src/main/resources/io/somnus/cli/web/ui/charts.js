// Charts through Chart.js (window.Chart, from its WebJar): one line chart per call, destroyed with its canvas.
export function lineChart(canvas, { labels, datasets, axes }) {
  return new window.Chart(canvas, {
    type: 'line',
    data: { labels, datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      scales: axes,
      plugins: { legend: { position: 'bottom' } },
    },
  });
}

export const COLOURS = { stage: '#3867d6', scale: '#e58e26', raw: '#20bf6b', chat: '#8854d0', metric: '#3867d6' };
