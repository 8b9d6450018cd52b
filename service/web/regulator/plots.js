// Plots of statistics rows (day, metric, subject, detail, count) as stacked bars per day, drawn with Chart.js
// (node_modules/chart.js, loaded by the page as a classic script: window.Chart). Each canvas also gets a
// one-line summary as its accessible name, so the figures can be read without seeing them.

import { countWords, dateWords } from "/web/shared/words.js";

// Distinguishable on white and for the common colour blindnesses (Okabe–Ito, then greys).
const COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
                 "#7f7f7f", "#bcbcbc"];
const MAX_SERIES = 8;

// series(rows, keep, nameOf) → {days, series: [{label, values}]}: rows with keep(row) true, summed per day and
// per nameOf(row); the smallest series beyond MAX_SERIES are folded into "others".
export function series(rows, keep, nameOf) {
  const chosen = rows.filter(keep);
  const days = [...new Set(chosen.map((r) => r.day))].sort();
  const totals = new Map();
  const byName = new Map();
  for (const r of chosen) {
    const name = nameOf(r);
    if (!byName.has(name)) byName.set(name, new Map());
    byName.get(name).set(r.day, (byName.get(name).get(r.day) || 0) + r.count);
    totals.set(name, (totals.get(name) || 0) + r.count);
  }
  const names = [...totals.keys()].sort((a, b) => totals.get(b) - totals.get(a) || a.localeCompare(b));
  const shown = names.length > MAX_SERIES ? names.slice(0, MAX_SERIES - 1) : names;
  const out = shown.map((name) => ({ label: name, values: days.map((d) => byName.get(name).get(d) || 0) }));
  const rest = names.slice(shown.length);
  if (rest.length) {
    out.push({ label: `${rest.length} others`,
               values: days.map((d) => rest.reduce((n, name) => n + (byName.get(name).get(d) || 0), 0)) });
  }
  return { days, series: out };
}

function shortDay(day) {
  return dateWords(day).replace(/ \d{4}$/, "");
}

// drawBars(canvas, data, empty) → draws (or redraws) stacked bars per day; `empty` says what no data means.
export function drawBars(canvas, { days, series: list }, empty) {
  const previous = window.Chart.getChart(canvas);
  if (previous) previous.destroy();
  const total = list.reduce((n, s) => n + s.values.reduce((a, b) => a + b, 0), 0);
  canvas.setAttribute("aria-label", total ? list.map((s) => `${s.label}: ${s.values.reduce((a, b) => a + b, 0)}`)
    .join("; ") + ` (${days.length === 1 ? dateWords(days[0]) : countWords(days.length, "day")})` : empty);
  canvas.dataset.total = String(total);
  return new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: days.map(shortDay),
      datasets: list.map((s, i) => ({ label: s.label, data: s.values, backgroundColor: COLOURS[i % COLOURS.length],
                                      maxBarThickness: 56 })),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 14 } },
        title: { display: !total, text: empty },
      },
    },
  });
}
