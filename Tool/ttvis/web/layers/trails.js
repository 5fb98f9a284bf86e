// The selected sample's trajectory over all epochs, drawn on the 2D overlay in the same world frame:
// a polyline that darkens toward later epochs with an arrowhead per step (the direction of time), and
// a numbered dot per epoch, the shown epoch filled.

export const TRAIL_WIDTH_CSS = 2;
export const TRAIL_COLOR = [20, 20, 20];
export const ARROW_CSS = 6;             // arrowhead length
export const MIN_LABEL_GAP_CSS = 14;    // epoch numbers closer than this to the previous one are skipped

export class TrailsLayer {
  constructor(ctx) { this.ctx = ctx; this.trail = null; this.current = null; }

  /** trail: {epochs: [..], positions: [[x, y], ..]} or null; current: the shown epoch. */
  setData({ trail, current }) {
    if (trail !== undefined) this.trail = trail;
    if (current !== undefined) this.current = current;
  }

  render({ xf }) {
    const tr = this.trail;
    if (!tr || !tr.positions || tr.positions.length === 0) return;
    const ctx = this.ctx, n = tr.positions.length;
    const pt = (k) => [xf.ox + xf.sx * tr.positions[k][0], xf.oy + xf.sy * tr.positions[k][1]];
    ctx.save();
    ctx.lineWidth = TRAIL_WIDTH_CSS;
    ctx.lineCap = 'round';
    for (let k = 1; k < n; k++) {
      const [x0, y0] = pt(k - 1), [x1, y1] = pt(k), len = Math.hypot(x1 - x0, y1 - y0);
      const color = `rgba(${TRAIL_COLOR.join(',')},${0.3 + 0.7 * k / (n - 1)})`;
      ctx.strokeStyle = color; ctx.fillStyle = color;
      ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
      if (len > 3 * ARROW_CSS) {   // arrowhead at the middle of the step
        const ux = (x1 - x0) / len, uy = (y1 - y0) / len, mx = (x0 + x1) / 2 + ux * ARROW_CSS / 2, my = (y0 + y1) / 2 + uy * ARROW_CSS / 2;
        ctx.beginPath();
        ctx.moveTo(mx, my);
        ctx.lineTo(mx - ux * ARROW_CSS - uy * ARROW_CSS * 0.6, my - uy * ARROW_CSS + ux * ARROW_CSS * 0.6);
        ctx.lineTo(mx - ux * ARROW_CSS + uy * ARROW_CSS * 0.6, my - uy * ARROW_CSS - ux * ARROW_CSS * 0.6);
        ctx.closePath(); ctx.fill();
      }
    }
    ctx.font = '10px system-ui, sans-serif';
    ctx.textBaseline = 'bottom';
    let last = null;
    for (let k = 0; k < n; k++) {
      const [x, y] = pt(k), isNow = tr.epochs[k] === this.current;
      ctx.fillStyle = isNow ? '#000' : 'rgba(255,255,255,0.9)';
      ctx.strokeStyle = '#111';
      ctx.lineWidth = 1.2;
      ctx.beginPath(); ctx.arc(x, y, isNow ? 4.5 : 3, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
      if (isNow || k === 0 || k === n - 1 || !last || Math.hypot(x - last[0], y - last[1]) >= MIN_LABEL_GAP_CSS) {
        ctx.lineWidth = 3; ctx.strokeStyle = 'rgba(255,255,255,0.85)'; ctx.fillStyle = '#111';
        ctx.strokeText(String(tr.epochs[k]), x + 5, y - 3); ctx.fillText(String(tr.epochs[k]), x + 5, y - 3);
        last = [x, y];
      }
    }
    ctx.restore();
  }

  dispose() { this.trail = null; }
}
