// Per-dot colours and visibility, computed on the CPU once per epoch/filter change and uploaded as
// one RGBA byte buffer (alpha 0 = hidden), so the shader does no per-frame branching on filters.

export const CORRECT_RGB = [44, 160, 44];
export const WRONG_RGB = [214, 39, 40];

export const hexToRgb = (hex) => [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));

/** Which dots pass the filters. flipPair: [predsA, predsB] of the two shown epochs, or null. */
export function visibleMask({ labels, split, preds, flipPair, hide, splitFilter, correct, flipped }) {
  const n = labels.length, out = new Uint8Array(n);
  const hidden = new Uint8Array(256 * 256);
  for (const c of hide) hidden[c] = 1;
  const wantSplit = splitFilter === 'train' ? 0 : splitFilter === 'test' ? 1 : -1;
  for (let i = 0; i < n; i++) {
    if (hidden[labels[i]]) continue;
    if (wantSplit >= 0 && split[i] !== wantSplit) continue;
    if (correct !== 'all' && preds) {
      const ok = preds[i] === labels[i];
      if ((correct === 'correct') !== ok) continue;
    }
    if (flipped && (!flipPair || flipPair[0][i] === flipPair[1][i])) continue;
    out[i] = 1;
  }
  return out;
}

/** RGBA bytes for every dot: colour by label, prediction or correctness; alpha from the mask. */
export function dotColors({ mode, labels, preds, palette, mask }) {
  const n = labels.length, out = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) {
    let rgb;
    if (mode === 'prediction' && preds) rgb = palette[preds[i]] || WRONG_RGB;
    else if (mode === 'correctness' && preds) rgb = preds[i] === labels[i] ? CORRECT_RGB : WRONG_RGB;
    else rgb = palette[labels[i]];
    out[4 * i] = rgb[0]; out[4 * i + 1] = rgb[1]; out[4 * i + 2] = rgb[2];
    out[4 * i + 3] = mask[i] ? 255 : 0;
  }
  return out;
}
