// Export what is shown: the frame as PNG (every scene side by side, with the legend), and the shown
// epoch's positions as CSV (the samples that pass the filters, or only the gallery's when one is open).

export const CSV_DECIMALS = 4;

function download(blob, filename) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** A file-name part: letters, digits, dot, dash and underscore only. */
export const fileSafe = (s) => String(s).replace(/[^A-Za-z0-9._-]+/g, '-');

/** Render each scene and copy it at once (the WebGL buffer is only valid in the same task), then draw
 * the legend entries down the right-hand side. legend: [{name, color}] */
export function framePNG(scenes, legend) {
  const dpr = scenes[0].dpr, rowH = 18 * dpr, legendW = legend.length ? 170 * dpr : 0;
  const out = document.createElement('canvas');
  out.width = scenes.reduce((w, s) => w + s.canvas.width, 0) + legendW;
  out.height = Math.max(...scenes.map((s) => s.canvas.height), (legend.length + 1) * rowH);
  const ctx = out.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, out.width, out.height);
  let x = 0;
  ctx.font = `${12 * dpr}px sans-serif`;
  for (const s of scenes) {
    s.territory.invalidate();
    s.render();
    ctx.drawImage(s.backdrop, x, 0);
    ctx.drawImage(s.canvas, x, 0);
    ctx.drawImage(s.overlay, x, 0);
    ctx.fillStyle = '#333';
    ctx.fillText(s.badge.textContent, x + 8 * dpr, out.height - 8 * dpr);
    x += s.canvas.width;
  }
  legend.forEach((e, k) => {
    const y = (k + 1) * rowH;
    ctx.fillStyle = e.color;
    ctx.beginPath(); ctx.arc(x + 14 * dpr, y - 4 * dpr, 5 * dpr, 0, 2 * Math.PI); ctx.fill();
    ctx.fillStyle = '#222';
    ctx.fillText(e.name, x + 26 * dpr, y);
  });
  return out;
}

export function exportPNG(scenes, legend, filename) {
  framePNG(scenes, legend).toBlob((blob) => download(blob, filename), 'image/png');
}

/** A CSV text field: quoted, and a leading = + - @ (or tab / CR) neutralised with a quote, so that a
 * spreadsheet never runs a class name as a formula. */
export function csvText(value) {
  const s = String(value);
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** CSV rows for `indices` at one epoch of one method. positions: {x, y}. */
export function positionsCSV({ indices, method, epoch, positions, labels, split, preds, conf, classNames }) {
  const r = (v) => +v.toFixed(CSV_DECIMALS);
  const lines = ['index,method,epoch,x,y,label,label_name,prediction,prediction_name,confidence,split'];
  const m = csvText(method);
  for (const i of indices) {
    const p = preds ? preds[i] : null;
    lines.push([i, m, epoch, r(positions.x[i]), r(positions.y[i]), labels[i], csvText(classNames[labels[i]]),
      p ?? '', p === null ? '' : csvText(classNames[p] ?? p), conf ? r(conf[i]) : '', split[i] ? 'test' : 'train'].join(','));
  }
  return lines.join('\n') + '\n';
}

export function exportCSV(args, filename) {
  download(new Blob([positionsCSV(args)], { type: 'text/csv' }), filename);
}
