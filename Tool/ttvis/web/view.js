// Pan and zoom shared by every canvas (linked zoom in compare mode). The view is kept in extent
// units (cu, cv in 0..1, zoom k), so two methods with different extents stay aligned.

export const FIT_MARGIN = 0.94;
export const MIN_ZOOM = 0.5;
export const MAX_ZOOM = 400;

export class View {
  constructor(initial) {
    [this.cu, this.cv, this.k] = initial || [0.5, 0.5, 1];
    this.listeners = new Set();
  }

  /** Map world (x, y) to CSS pixels: px = ox + sx * x, py = oy + sy * y. */
  transform(ext, width, height) {
    const wx = ext.x_max - ext.x_min || 1, wy = ext.y_max - ext.y_min || 1;
    const s = Math.min(width / wx, height / wy) * FIT_MARGIN * this.k;
    return {
      sx: s, sy: -s,
      ox: width / 2 - (ext.x_min + this.cu * wx) * s,
      oy: height / 2 + (ext.y_min + this.cv * wy) * s,
    };
  }

  _scale(ext, width, height) {
    const wx = ext.x_max - ext.x_min || 1, wy = ext.y_max - ext.y_min || 1;
    return [Math.min(width / wx, height / wy) * FIT_MARGIN * this.k, wx, wy];
  }

  panBy(dx, dy, ext, width, height) {
    const [s, wx, wy] = this._scale(ext, width, height);
    this.cu -= dx / (s * wx);
    this.cv += dy / (s * wy);
    this.changed();
  }

  /** Zoom by factor keeping the point under the cursor (px, py) in place. */
  zoomAt(factor, px, py, ext, width, height) {
    const [s, wx, wy] = this._scale(ext, width, height);
    const u = (px - width / 2) / (s * wx) + this.cu;
    const v = -(py - height / 2) / (s * wy) + this.cv;
    this.k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.k * factor));
    const [s2] = this._scale(ext, width, height);
    this.cu = u - (px - width / 2) / (s2 * wx);
    this.cv = v + (py - height / 2) / (s2 * wy);
    this.changed();
  }

  /** Centre on world point (x, y) without changing zoom. */
  centerOn(x, y, ext) {
    this.cu = (x - ext.x_min) / ((ext.x_max - ext.x_min) || 1);
    this.cv = (y - ext.y_min) / ((ext.y_max - ext.y_min) || 1);
    this.changed();
  }

  reset() { this.cu = 0.5; this.cv = 0.5; this.k = 1; this.changed(); }
  isDefault() { return this.cu === 0.5 && this.cv === 0.5 && this.k === 1; }
  toArray() { return [this.cu, this.cv, this.k]; }
  changed() { for (const fn of this.listeners) fn(this); }
}
