// One canvas (WebGL2 points over territory) plus a 2D overlay (trail, rings, lasso), with its own
// epoch transition. The scene is controlled: the page hands it everything it shows through
// setProps({positions, territory, colors, emphasis, marks, selected, trail, ...}) and nothing else
// writes its fields. Two scenes share one View in compare mode, which links their zoom.
import { PointsLayer } from './layers/points.js';
import { TerritoryLayer } from './layers/territory.js';
import { TrailsLayer } from './layers/trails.js';

export const TRANSITION_MS = 700;     // one epoch-to-epoch transition at speed 1
export const PICK_RADIUS_CSS = 9;     // how close the cursor must be to a dot to pick it
export const CLICK_SLOP_CSS = 4;      // a press that moves less than this is a click
const WHEEL_ZOOM = 0.0015;

/** Ease in-out of every transition; layers get the eased value, so the curve lives here only. */
export const ease = (t) => t * t * (3 - 2 * t);

/** The transition clock. `hold` set to a number in [0, 1] pins every transition there (tests, export). */
export const clock = { hold: null };

export class Scene {
  /** host: element to fill; view: shared View; handlers: {redraw(), hover(i, ev, scene, world), click(i), lasso(indices)} */
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
    this.props = {};
    this.extent = null;
    this.prev = this.next = null;
    this.t = 1; this.tStart = 0; this.duration = TRANSITION_MS;
    this.hover = -1; this.lassoPath = null;
    this.fit();
    this._listen();
  }

  /** Show what props describe; only what changed is uploaded. Positions {x, y} with a new `key` start a
   * transition from where the dots are now when `animate` is set and the `group` (run and method) is the same. */
  setProps(props) {
    const old = this.props, p = { ...old, ...props };
    this.props = p;
    if (p.positions !== old.positions) {
      const same = this.next && p.group === old.group && this.next.x.length === p.positions.x.length;
      const animate = same && p.animate;
      if (!same) this.territory.clear();
      this.prev = animate ? this.currentPositions() : p.positions;
      this.next = p.positions;
      this.extent = p.extent;
      this.points.setData({ prev: this.prev, next: this.next });
      this.territory.setData({ key: p.territoryKey, bitmap: p.bitmap, extent: p.extent, animate });
      this.t = animate ? 0 : 1;
      this.tStart = performance.now();
      this.duration = p.duration || TRANSITION_MS;
    }
    if (p.colors !== old.colors) this.points.setData({ colors: p.colors });
    if (p.emphasis !== old.emphasis) this.points.setEmphasis(p.emphasis);
    if (p.marks !== old.marks) this.points.setMarks(p.marks);
    if (p.opacity !== old.opacity) this.territory.setData({ opacity: p.opacity });
    if (p.trail !== old.trail || p.current !== old.current) this.trails.setData({ trail: p.trail || null, current: p.current });
    if (p.badge !== old.badge) this.badge.textContent = p.badge || '';
  }

  get animating() { return this.t < 1; }
  get shown() { return this.points.shown; }

  /** Positions at the current moment of the transition (CPU copy, for picking and new transitions). */
  currentPositions() {
    if (!this.next) return null;
    if (this.t >= 1 || !this.prev) return this.next;
    const e = ease(this.t), a = this.prev, b = this.next, n = b.x.length;
    const out = { x: new Float32Array(n), y: new Float32Array(n) };
    for (let k = 0; k < n; k++) { out.x[k] = a.x[k] + (b.x[k] - a.x[k]) * e; out.y[k] = a.y[k] + (b.y[k] - a.y[k]) * e; }
    return out;
  }

  position(i) {
    if (!this.next || i < 0 || i >= this.next.x.length) return null;
    const e = this.t >= 1 ? 1 : ease(this.t), a = this.prev || this.next, b = this.next;
    return [a.x[i] + (b.x[i] - a.x[i]) * e, a.y[i] + (b.y[i] - a.y[i]) * e];
  }

  // -- frame -------------------------------------------------------------------------------
  /** Advance the transition to time `now` (or to the held progress); at its end the dots rest at `next`. */
  step(now) {
    if (this.t >= 1) return;
    this.t = clock.hold !== null ? clock.hold : Math.min(1, (now - this.tStart) / this.duration);
    if (this.t >= 1) { this.prev = this.next; this.points.setData({ prev: this.next }); }
  }

  xf() { return this.extent ? this.view.transform(this.extent, this.width, this.height) : null; }

  render() {
    const gl = this.gl, ctx = this.ctx, xf = this.xf(), p = this.props;
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    gl.clearColor(0, 0, 0, 0);   // transparent: the territory canvas shows through
    gl.clear(gl.COLOR_BUFFER_BIT);
    // the 2D overlay is cleared only when it holds or will hold something (a clear costs a full raster)
    const overlayBusy = !!(p.trail || p.selected >= 0 || this.hover >= 0 || this.lassoPath);
    if (overlayBusy || this.overlayHadContent) {
      ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
      ctx.clearRect(0, 0, this.width, this.height);
    }
    this.overlayHadContent = overlayBusy;
    if (!xf) return;
    const args = { xf, width: this.width, height: this.height, dpr: this.dpr, mix: this.t >= 1 ? 1 : ease(this.t), dim: !!p.dim, zoom: this.view.k };
    this.territory.render(args);
    this.points.render(args);
    this.trails.render(args);
    this._marks(xf);
  }

  _marks(xf) {
    const ctx = this.ctx, sel = this.props.selected ?? -1;
    const ring = (i, color, r) => {
      const p = this.position(i);
      if (!p) return;
      ctx.strokeStyle = color; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.arc(xf.ox + xf.sx * p[0], xf.oy + xf.sy * p[1], r, 0, 2 * Math.PI); ctx.stroke();
    };
    if (sel >= 0) { ring(sel, '#fff', 9); ring(sel, '#000', 7.5); }
    if (this.hover >= 0 && this.hover !== sel) ring(this.hover, '#222', 7);
    if (this.lassoPath && this.lassoPath.length > 1) {
      ctx.strokeStyle = '#111'; ctx.setLineDash([5, 4]); ctx.lineWidth = 1.5;
      ctx.fillStyle = 'rgba(30,30,30,0.08)';
      ctx.beginPath();
      this.lassoPath.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.closePath(); ctx.fill(); ctx.stroke(); ctx.setLineDash([]);
    }
  }

  /** Match the canvases to the host's size in device pixels (called when the stage is resized). */
  fit() {
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

  visible(i) { const c = this.props.colors; return !c || c[4 * i + 3] > 0; }

  /** Nearest visible dot within PICK_RADIUS_CSS of canvas point (px, py), or -1. */
  pick(px, py) {
    const xf = this.xf(), pos = this.currentPositions();
    if (!xf || !pos) return -1;
    const wx = (px - xf.ox) / xf.sx, wy = (py - xf.oy) / xf.sy, r = PICK_RADIUS_CSS / xf.sx;
    let best = -1, bestD = r * r;
    for (let i = 0, n = pos.x.length; i < n; i++) {
      const dx = pos.x[i] - wx, dy = pos.y[i] - wy, d = dx * dx + dy * dy;
      if (d <= bestD && this.visible(i)) { bestD = d; best = i; }
    }
    return best;
  }

  /** World point under canvas point (px, py), or null. */
  world(px, py) {
    const xf = this.xf();
    return xf ? [(px - xf.ox) / xf.sx, (py - xf.oy) / xf.sy] : null;
  }

  /** Visible dots inside a polygon given in canvas CSS pixels. */
  insidePolygon(poly) {
    const xf = this.xf(), pos = this.currentPositions();
    if (!xf || !pos || poly.length < 3) return [];
    const w = poly.map(([x, y]) => [(x - xf.ox) / xf.sx, (y - xf.oy) / xf.sy]);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const [x, y] of w) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    const out = [];
    for (let i = 0, n = pos.x.length; i < n; i++) {
      const x = pos.x[i], y = pos.y[i];
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
      this.handlers.hover(i, ev, this, i < 0 ? this.world(x, y) : null);
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
    el.addEventListener('pointerleave', () => { if (this.hover !== -1) { this.hover = -1; this.handlers.redraw(); } this.handlers.hover(-1, null, this, null); });
    el.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      if (!this.extent) return;
      const [x, y] = local(ev);
      this.view.zoomAt(Math.exp(-ev.deltaY * WHEEL_ZOOM), x, y, this.extent, this.width, this.height);
    }, { passive: false });
    el.addEventListener('dblclick', () => this.view.reset());
  }
}
