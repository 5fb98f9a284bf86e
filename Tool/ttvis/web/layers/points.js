// WebGL2 points. Previous and next positions live on the GPU as columns (x and y apart); the vertex
// shader mixes them by the eased transition progress (one uniform per frame). Each dot has a thin dark
// outline so it stands out on the territory of its own class.
import { program, clipTransform } from './gl.js';

// dot diameter in CSS pixels by the number of dots shown: fewer dots, bigger dots
export const POINT_SIZES_CSS = [[1000, 7], [5000, 5.5], [20000, 4.5], [Infinity, 3]];
export const ZOOM_GROWTH = 0.5;          // dots grow with zoom^0.5 ...
export const MAX_ZOOM_GROWTH = 3;        // ... up to 3x
export const EMPHASIS_SCALE = 2.2;       // highlighted dots are this much bigger
export const DIM_TOWARD_WHITE = 0.65;    // how much other dots fade while a highlight is shown
export const MARK_RGB = [255, 0, 255];   // ring around samples the map misplaces (round-trip error)
export const OUTLINE_CSS = 0.8;          // dot outline width
export const MIN_OUTLINED_CSS = 4.5;     // smaller dots have no room for an outline
export const MARK_RING_CSS = 1.5;        // width of the round-trip error ring

const VS = `
in float a_x0; in float a_y0; in float a_x1; in float a_y1; in vec4 a_color;
uniform vec4 u_xf; uniform float u_mix; uniform float u_size;
out vec4 v_color;
void main() {
  vec2 p = mix(vec2(a_x0, a_y0), vec2(a_x1, a_y1), u_mix);
  v_color = a_color;
  bool hidden = a_color.a == 0.0;
  gl_Position = hidden ? vec4(2.0, 2.0, 2.0, 1.0) : vec4(p.x * u_xf.x + u_xf.y, p.y * u_xf.z + u_xf.w, 0.0, 1.0);
  gl_PointSize = hidden ? 0.0 : u_size;
}`;

// u_style: 0 plain dot (outlined when big enough), 1 emphasised (big, black ring), 2 mark (hollow ring).
// Squared radii and precomputed thresholds keep the per-fragment work small (it dominates at 60k dots).
const FS = `
in vec4 v_color; uniform float u_style; uniform float u_dim; uniform float u_rim2; uniform vec3 u_mark;
out vec4 o;
void main() {
  vec2 d = gl_PointCoord * 2.0 - 1.0;
  float r2 = dot(d, d);
  if (r2 > 1.0) discard;
  if (u_style < 0.5) {
    vec3 c = mix(v_color.rgb, vec3(1.0), u_dim);
    o = vec4(r2 > u_rim2 ? c * 0.3 : c, 1.0);               // thin dark outline
  } else if (u_style < 1.5) {
    o = vec4(r2 > 0.49 ? vec3(0.07) : v_color.rgb, 1.0);
  } else {
    if (r2 < u_rim2) discard;
    o = vec4(u_mark, 1.0);
  }
}`;

/** Squared radius (in point units) inside which a dot of `size` device pixels keeps its colour: the
 * outline is OUTLINE_CSS wide, and only dots of at least MIN_OUTLINED_CSS get one. */
function rim2(size, dpr) {
  if (size < MIN_OUTLINED_CSS * dpr) return 2;
  const inner = 1 - (2 * OUTLINE_CSS * dpr) / size;
  return inner * inner;
}

export class PointsLayer {
  constructor(gl) {
    this.gl = gl;
    this.p = program(gl, VS, FS);
    this.vao = gl.createVertexArray();
    this.buffers = { x0: gl.createBuffer(), y0: gl.createBuffer(), x1: gl.createBuffer(), y1: gl.createBuffer(), color: gl.createBuffer() };
    this.emphasis = gl.createBuffer();
    this.marks = gl.createBuffer();
    this.markVao = gl.createVertexArray();
    this.n = 0; this.nEmph = 0; this.nMarks = 0; this.shown = 0;
    for (const vao of [this.vao, this.markVao]) {
      gl.bindVertexArray(vao);
      const bind = (buf, name, size, type, normalized) => {
        const loc = this.p.attrib(name);
        gl.bindBuffer(gl.ARRAY_BUFFER, buf);
        gl.enableVertexAttribArray(loc);
        gl.vertexAttribPointer(loc, size, type, normalized, 0, 0);
      };
      for (const k of ['x0', 'y0', 'x1', 'y1']) bind(this.buffers[k], `a_${k}`, 1, gl.FLOAT, false);
      bind(this.buffers.color, 'a_color', 4, gl.UNSIGNED_BYTE, true);
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, vao === this.vao ? this.emphasis : this.marks);
    }
    gl.bindVertexArray(null);
  }

  /** prev/next: {x, y} Float32Arrays; colors: Uint8Array (4N), alpha 0 hides a dot. */
  setData({ prev, next, colors }) {
    const gl = this.gl, up = (buf, arr) => { gl.bindBuffer(gl.ARRAY_BUFFER, buf); gl.bufferData(gl.ARRAY_BUFFER, arr, gl.DYNAMIC_DRAW); };
    gl.bindVertexArray(null);
    if (prev) { up(this.buffers.x0, prev.x); up(this.buffers.y0, prev.y); this.n = prev.x.length; }
    if (next) { up(this.buffers.x1, next.x); up(this.buffers.y1, next.y); }
    if (colors) {
      up(this.buffers.color, colors);
      let shown = 0;
      for (let k = 3; k < colors.length; k += 4) shown += colors[k] > 0;
      this.shown = shown;
    }
  }

  _indices(vao, buf, indices) {
    const gl = this.gl;
    gl.bindVertexArray(vao);
    gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, Uint32Array.from(indices || []), gl.DYNAMIC_DRAW);
    gl.bindVertexArray(null);
    return indices ? indices.length : 0;
  }

  /** Indices drawn again on top, bigger and outlined (selection, search results). */
  setEmphasis(indices) { this.nEmph = this._indices(this.vao, this.emphasis, indices); }

  /** Indices ringed in MARK_RGB (samples whose prediction flips through the map's round trip). */
  setMarks(indices) { this.nMarks = this._indices(this.markVao, this.marks, indices); }

  /** Dot diameter in device pixels: by how many dots are shown, growing with zoom. */
  size(dpr, zoom) {
    const base = POINT_SIZES_CSS.find(([limit]) => (this.shown || this.n) < limit)[1];
    return base * Math.min(MAX_ZOOM_GROWTH, Math.max(1, zoom ** ZOOM_GROWTH)) * dpr;
  }

  render({ xf, width, height, dpr, mix, dim, zoom }) {
    if (!this.n) return;
    const gl = this.gl, u = this.p.uniforms;
    const size = this.size(dpr, zoom || 1);
    gl.useProgram(this.p.program);
    gl.bindVertexArray(this.vao);
    gl.uniform4fv(u.u_xf, clipTransform(xf, width, height));
    gl.uniform1f(u.u_mix, mix);
    gl.uniform1f(u.u_size, size);
    gl.uniform1f(u.u_rim2, rim2(size, dpr));
    gl.uniform1f(u.u_style, 0);
    gl.uniform1f(u.u_dim, dim ? DIM_TOWARD_WHITE : 0);
    gl.uniform3f(u.u_mark, ...MARK_RGB.map((v) => v / 255));
    gl.drawArrays(gl.POINTS, 0, this.n);
    if (this.nMarks) {
      gl.bindVertexArray(this.markVao);
      const ring = size + 6 * dpr, inner = 1 - (2 * MARK_RING_CSS * dpr) / ring;
      gl.uniform1f(u.u_style, 2);
      gl.uniform1f(u.u_size, ring);
      gl.uniform1f(u.u_rim2, inner * inner);
      gl.drawElements(gl.POINTS, this.nMarks, gl.UNSIGNED_INT, 0);
      gl.bindVertexArray(this.vao);
    }
    if (this.nEmph) {
      gl.uniform1f(u.u_style, 1);
      gl.uniform1f(u.u_size, Math.max(size * EMPHASIS_SCALE, 9 * dpr));
      gl.drawElements(gl.POINTS, this.nEmph, gl.UNSIGNED_INT, 0);
    }
    gl.bindVertexArray(null);
  }

  dispose() {
    const gl = this.gl;
    for (const b of [...Object.values(this.buffers), this.emphasis, this.marks]) gl.deleteBuffer(b);
    gl.deleteVertexArray(this.vao);
    gl.deleteVertexArray(this.markVao);
    gl.deleteProgram(this.p.program);
  }
}
