// The selected sample's trajectory over all epochs, drawn on the 2D overlay in the same world frame:
// a polyline that darkens toward later epochs, a dot per epoch, a ring at the shown epoch.

export const TRAIL_WIDTH_CSS = 2;
export const TRAIL_COLOR = [20, 20, 20];

export class TrailsLayer {
  constructor(ctx) { this.ctx = ctx; this.trail = null; }

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
      const [x0, y0] = pt(k - 1), [x1, y1] = pt(k);
      ctx.strokeStyle = `rgba(${TRAIL_COLOR.join(',')},${0.25 + 0.75 * k / (n - 1)})`;
      ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
    }
    for (let k = 0; k < n; k++) {
      const [x, y] = pt(k);
      const isNow = tr.epochs[k] === this.current;
      ctx.fillStyle = isNow ? '#000' : 'rgba(255,255,255,0.9)';
      ctx.strokeStyle = '#111';
      ctx.lineWidth = 1.2;
      ctx.beginPath(); ctx.arc(x, y, isNow ? 4.5 : 3, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    }
    ctx.restore();
  }

  resize() {}
  dispose() { this.trail = null; }
}
