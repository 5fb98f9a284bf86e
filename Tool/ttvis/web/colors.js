// Per-dot colours and visibility, computed on the CPU once per epoch/filter change and uploaded as
// one RGBA byte buffer (alpha 0 = hidden), so the shader does no per-frame branching on filters.

// Correct / wrong differ from every class colour and from each other in lightness, so they stay apart
// for every kind of colour blindness (and in greyscale).
export const CORRECT_RGB = [34, 34, 34];
export const WRONG_RGB = [255, 0, 255];
export const CORRECTNESS = [{ key: 'correct', name: 'correct', rgb: CORRECT_RGB }, { key: 'wrong', name: 'wrong', rgb: WRONG_RGB }];

export const hexToRgb = (hex) => [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
export const rgbCss = (rgb) => `rgb(${rgb.join(',')})`;

/** Which dots pass the filters. `hide` hides classes by prediction when colouring by it, else by label.
 * flipPair: [predsA, predsB] of the two epochs compared, or null. */
export function visibleMask({ labels, split, preds, flipPair, hide, mode, splitFilter, correct, flipped }) {
  const n = labels.length, out = new Uint8Array(n);
  const hidden = new Uint8Array(65536);
  for (const c of hide) hidden[c] = 1;
  const byPred = mode === 'prediction' && preds;
  const wantSplit = splitFilter === 'train' ? 0 : splitFilter === 'test' ? 1 : -1;
  for (let i = 0; i < n; i++) {
    if (hidden[byPred ? preds[i] : labels[i]]) continue;
    if (wantSplit >= 0 && split[i] !== wantSplit) continue;
    if (correct !== 'all' && preds && (correct === 'correct') !== (preds[i] === labels[i])) continue;
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

/** How many samples each legend entry covers: per class (by label or prediction) or correct/wrong. */
export function legendCounts({ mode, labels, preds, nClasses }) {
  if (mode === 'correctness') {
    let right = 0;
    if (preds) for (let i = 0; i < labels.length; i++) right += preds[i] === labels[i];
    return [right, preds ? labels.length - right : 0];
  }
  const by = mode === 'prediction' && preds ? preds : labels, counts = new Uint32Array(nClasses);
  for (let i = 0; i < by.length; i++) counts[by[i]]++;
  return Array.from(counts);
}
