// One canvas (WebGL2 points over territory) plus a 2D overlay (trail, hover ring, lasso), with its own
// epoch transition. Two scenes share one View in compare mode, which links their zoom.
import { PointsLayer } from './layers/points.js';
import { TerritoryLayer } from './layers/territory.js';
import { TrailsLayer } from './layers/trails.js';
import { ease } from './layers/gl.js';

export const TRANSITION_MS = 700;     // one epoch-to-epoch transition at speed 1
export const PICK_RADIUS_CSS = 9;     // how close the cursor must be to a dot to pick it
export const CLICK_SLOP_CSS = 4;      // a press that moves less than this is a click
const WHEEL_ZOOM = 0.0015;

export class Scene {
  /** host: element to fill; view: shared View; handlers: {hover(i, ev), click(i), lasso(indices), viewChanged()} */
  constructor(host, view, handlers) {
    this.host = host;
    this.view = view;
    this.handlers = handlers;
    this.backdrop = document.createElement('canvas');
    this.backdrop.className = 'territory';
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'gl';
    this.overlay = document.createElement('canvas');
    this.overlay.className = 'overlay';
    this.badge = document.createElement('div');
    this.badge.className = 'badge';
    host.append(this.backdrop, this.canvas, this.overlay, this.badge);
    const gl = this.canvas.getContext('webgl2', { antialias: false, alpha: true, premultipliedAlpha: true });
    if (!gl) throw new Error('WebGL2 is not available in this browser');
    this.gl = gl;
    this.ctx = this.overlay.getContext('2d');
    this.territory = new TerritoryLayer(this.backdrop);
    this.points = new PointsLayer(gl);
    this.trails = new TrailsLayer(this.ctx);
    this.extent = null;
    this.prev = this.next = null;
    this.colors = null;
    this.t = 1; this.tStart = 0; this.duration = TRANSITION_MS;
    this.hover = -1; this.selected = -1; this.lassoPath = null;
    this.dim = false;
    this.resize();
    this._listen();
  }

  // -- data --------------------------------------------------------------------------------
  /** Show an epoch: positions (Float32Array 2N), territory bitmap (or null), extent. */
  show({ positions, bitmap, key, extent, animate, duration }) {
    const canAnimate = animate && this.next && this.next.length === positions.length;
    this.prev = canAnimate ? this.currentPositions() : positions;
    this.next = positions;
    this.extent = extent;
    this.points.setData({ prev: this.prev, next: this.next });
    this.territory.setData({ key, bitmap, extent, animate: canAnimate });
    this.t = canAnimate ? 0 : 1;
    this.tStart = performance.now();
    this.duration = duration || TRANSITION_MS;
  }

  setColors(colors) { this.colors = colors; this.points.setData({ colors }); }
  setEmphasis(indices, dim) { this.points.setEmphasis(indices); this.dim = !!dim; }
  setTrail(trail, current) { this.trails.setData({ trail, current }); }
  setBadge(text) { this.badge.textContent = text; }

  /** Drop every cached texture and position (new run or method). */
  clear() { this.territory.clear(); this.prev = this.next = null; this.points.setData({ prev: new Float32Array(0), next: new Float32Array(0) }); this.points.n = 0; }

  get animating() { return this.t < 1; }

  /** Positions at the current moment of the transition (CPU copy, for picking and new transitions). */
  currentPositions() {
    if (!this.next) return null;
    if (this.t >= 1 || !this.prev) return this.next;
    const e = ease(this.t), a = this.prev, b = this.next, out = new Float32Array(b.length);
    for (let k = 0; k < b.length; k++) out[k] = a[k] + (b[k] - a[k]) * e;
    return out;
  }

  position(i) {
    if (!this.next || i < 0 || 2 * i >= this.next.length) return null;
    const e = this.t >= 1 ? 1 : ease(this.t);
    const a = this.prev || this.next, b = this.next;
    return [a[2 * i] + (b[2 * i] - a[2 * i]) * e, a[2 * i + 1] + (b[2 * i + 1] - a[2 * i + 1]) * e];
  }

  // -- frame -------------------------------------------------------------------------------
  step(now) {
    if (this.t < 1) this.t = Math.min(1, (now - this.tStart) / this.duration);
  }

  xf() { return this.extent ? this.view.transform(this.extent, this.width, this.height) : null; }

  render() {
    const gl = this.gl, ctx = this.ctx, xf = this.xf();
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    gl.clearColor(0, 0, 0, 0);   // transparent: the territory canvas shows through
    gl.clear(gl.COLOR_BUFFER_BIT);
    // the 2D overlay is cleared only when it holds or will hold something (a clear costs a full raster)
    const overlayBusy = !!(this.trails.trail || this.selected >= 0 || this.hover >= 0 || this.lassoPath);
    if (overlayBusy || this.overlayHadContent) {
      ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
      ctx.clearRect(0, 0, this.width, this.height);
    }
    this.overlayHadContent = overlayBusy;
    if (!xf) return;
    const args = { xf, width: this.width, height: this.height, dpr: this.dpr, t: this.t, dim: this.dim };
    this.territory.render(args);
    this.points.render(args);
    this.trails.render(args);
    this._marks(xf);
  }

  _marks(xf) {
    const ctx = this.ctx;
    const ring = (i, color, r) => {
      const p = this.position(i);
      if (!p) return;
      ctx.strokeStyle = color; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.arc(xf.ox + xf.sx * p[0], xf.oy + xf.sy * p[1], r, 0, 2 * Math.PI); ctx.stroke();
    };
    if (this.selected >= 0) { ring(this.selected, '#fff', 9); ring(this.selected, '#000', 7.5); }
    if (this.hover >= 0 && this.hover !== this.selected) ring(this.hover, '#222', 7);
    if (this.lassoPath && this.lassoPath.length > 1) {
      ctx.strokeStyle = '#111'; ctx.setLineDash([5, 4]); ctx.lineWidth = 1.5;
      ctx.fillStyle = 'rgba(30,30,30,0.08)';
      ctx.beginPath();
      this.lassoPath.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.closePath(); ctx.fill(); ctx.stroke(); ctx.setLineDash([]);
    }
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const r = this.host.getBoundingClientRect();
    this.width = Math.max(1, r.width); this.height = Math.max(1, r.height); this.dpr = dpr;
    for (const c of [this.backdrop, this.canvas, this.overlay]) {
      c.width = Math.round(this.width * dpr); c.height = Math.round(this.height * dpr);
    }
    this.territory.invalidate();
  }

  dispose() { this.points.dispose(); this.territory.dispose(); this.trails.dispose(); this.host.replaceChildren(); }

  // -- geometry ----------------------------------------------------------------------------
  /** Sample i's position in viewport CSS pixels (for tests and panels), or null. */
  project(i) {
    const p = this.position(i), xf = this.xf();
    if (!p || !xf) return null;
    const r = this.canvas.getBoundingClientRect();
    return { x: r.left + xf.ox + xf.sx * p[0], y: r.top + xf.oy + xf.sy * p[1] };
  }

  visible(i) { return !this.colors || this.colors[4 * i + 3] > 0; }

  /** Nearest visible dot within PICK_RADIUS_CSS of canvas point (px, py), or -1. */
  pick(px, py) {
    const xf = this.xf(), pos = this.currentPositions();
    if (!xf || !pos) return -1;
    const wx = (px - xf.ox) / xf.sx, wy = (py - xf.oy) / xf.sy, r = PICK_RADIUS_CSS / xf.sx;
    let best = -1, bestD = r * r;
    for (let i = 0, n = pos.length / 2; i < n; i++) {
      const dx = pos[2 * i] - wx, dy = pos[2 * i + 1] - wy, d = dx * dx + dy * dy;
      if (d <= bestD && this.visible(i)) { bestD = d; best = i; }
    }
    return best;
  }

  /** Visible dots inside a polygon given in canvas CSS pixels. */
  insidePolygon(poly) {
    const xf = this.xf(), pos = this.currentPositions();
    if (!xf || !pos || poly.length < 3) return [];
    const w = poly.map(([x, y]) => [(x - xf.ox) / xf.sx, (y - xf.oy) / xf.sy]);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const [x, y] of w) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    const out = [];
    for (let i = 0, n = pos.length / 2; i < n; i++) {
      const x = pos[2 * i], y = pos[2 * i + 1];
      if (x < x0 || x > x1 || y < y0 || y > y1 || !this.visible(i)) continue;
      let inside = false;
      for (let a = 0, b = w.length - 1; a < w.length; b = a++) {
        if ((w[a][1] > y) !== (w[b][1] > y) && x < ((w[b][0] - w[a][0]) * (y - w[a][1])) / (w[b][1] - w[a][1]) + w[a][0]) inside = !inside;
      }
      if (inside) out.push(i);
    }
    return out;
  }

  // -- input -------------------------------------------------------------------------------
  _listen() {
    const el = this.overlay;
    const local = (ev) => { const r = el.getBoundingClientRect(); return [ev.clientX - r.left, ev.clientY - r.top]; };
    let press = null;
    el.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0) return;
      el.setPointerCapture(ev.pointerId);
      const [x, y] = local(ev);
      press = { x, y, lastX: x, lastY: y, moved: false, lasso: ev.shiftKey };
      if (press.lasso) this.lassoPath = [[x, y]];
    });
    el.addEventListener('pointermove', (ev) => {
      const [x, y] = local(ev);
      if (press) {
        if (Math.hypot(x - press.x, y - press.y) > CLICK_SLOP_CSS) press.moved = true;
        if (press.lasso) { this.lassoPath.push([x, y]); this.handlers.redraw(); }
        else if (press.moved && this.extent) this.view.panBy(x - press.lastX, y - press.lastY, this.extent, this.width, this.height);
        press.lastX = x; press.lastY = y;
        return;
      }
      const i = this.pick(x, y);
      if (i !== this.hover) { this.hover = i; this.handlers.redraw(); }
      this.handlers.hover(i, ev, this);
    });
    el.addEventListener('pointerup', (ev) => {
      if (!press) return;
      const [x, y] = local(ev);
      if (press.lasso) {
        const poly = this.lassoPath;
        this.lassoPath = null;
        if (press.moved) this.handlers.lasso(this.insidePolygon(poly), this);
        else this.handlers.redraw();
      } else if (!press.moved) {
        this.handlers.click(this.pick(x, y), this);
      }
      press = null;
    });
    el.addEventListener('pointerleave', () => { if (this.hover !== -1) { this.hover = -1; this.handlers.redraw(); } this.handlers.hover(-1, null, this); });
    el.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      if (!this.extent) return;
      const [x, y] = local(ev);
      this.view.zoomAt(Math.exp(-ev.deltaY * WHEEL_ZOOM), x, y, this.extent, this.width, this.height);
    }, { passive: false });
    el.addEventListener('dblclick', () => this.view.reset());
  }
}
