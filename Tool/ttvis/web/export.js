// Export the current frame as PNG (every visible canvas, side by side) and the shown epoch's
// positions as CSV.

function download(blob, filename) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** Render each scene and copy it at once (the WebGL buffer is only valid in the same task). */
export function framePNG(scenes) {
  const dpr = scenes[0].dpr;
  const out = document.createElement('canvas');
  out.width = scenes.reduce((w, s) => w + s.canvas.width, 0);
  out.height = Math.max(...scenes.map((s) => s.canvas.height));
  const ctx = out.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, out.width, out.height);
  let x = 0;
  for (const s of scenes) {
    s.territory.invalidate();
    s.render();
    ctx.drawImage(s.backdrop, x, 0);
    ctx.drawImage(s.canvas, x, 0);
    ctx.drawImage(s.overlay, x, 0);
    ctx.font = `${12 * dpr}px sans-serif`;
    ctx.fillStyle = '#333';
    ctx.fillText(s.badge.textContent, x + 8 * dpr, out.height - 8 * dpr);
    x += s.canvas.width;
  }
  return out;
}

export function exportPNG(scenes, filename) {
  framePNG(scenes).toBlob((blob) => download(blob, filename), 'image/png');
}

/** CSV of index, x, y, label, prediction, confidence, split for one epoch. */
export function positionsCSV({ positions, labels, split, preds, conf, classNames }) {
  const lines = ['index,x,y,label,label_name,prediction,confidence,split'];
  for (let i = 0, n = labels.length; i < n; i++) {
    lines.push(`${i},${positions[2 * i]},${positions[2 * i + 1]},${labels[i]},"${classNames[labels[i]].replace(/"/g, '""')}",` +
      `${preds ? preds[i] : ''},${conf ? conf[i].toFixed(5) : ''},${split[i] ? 'test' : 'train'}`);
  }
  return lines.join('\n') + '\n';
}

export function exportCSV(args, filename) {
  download(new Blob([positionsCSV(args)], { type: 'text/csv' }), filename);
}
