// WebGL2 points. Previous and next positions live on the GPU; the vertex shader interpolates them
// with an ease-in-out curve every frame, so a transition costs one uniform per frame.
import { program, clipTransform } from './gl.js';

// dot diameter in CSS pixels: smaller dots for bigger runs (fewer overlaps, fewer fragments)
export const POINT_SIZES_CSS = [[5000, 5], [20000, 4], [Infinity, 3]];
export const EMPHASIS_SCALE = 2.2;       // highlighted dots are this much bigger
export const DIM_TOWARD_WHITE = 0.65;    // how much other dots fade while a highlight is shown

const VS = `#version 300 es
in vec2 a_prev; in vec2 a_next; in vec4 a_color;
uniform vec4 u_xf; uniform float u_t; uniform float u_size;
out vec4 v_color;
void main() {
  float e = u_t * u_t * (3.0 - 2.0 * u_t);
  vec2 p = mix(a_prev, a_next, e);
  v_color = a_color;
  bool hidden = a_color.a == 0.0;
  gl_Position = hidden ? vec4(2.0, 2.0, 2.0, 1.0) : vec4(p.x * u_xf.x + u_xf.y, p.y * u_xf.z + u_xf.w, 0.0, 1.0);
  gl_PointSize = hidden ? 0.0 : u_size;
}`;

const FS = `#version 300 es
precision highp float;
in vec4 v_color; uniform float u_emph; uniform float u_dim; uniform float u_size;
out vec4 o;
void main() {
  vec2 d = gl_PointCoord * 2.0 - 1.0;
  float r = length(d);
  if (r > 1.0) discard;
  float edge = 1.0 - smoothstep(1.0 - 2.0 / u_size, 1.0, r);   // soft rim about one pixel wide
  vec3 c = mix(v_color.rgb, vec3(1.0), u_dim);
  vec3 rgb = u_emph > 0.5 ? (r > 0.7 ? vec3(0.07) : v_color.rgb) : (r > 0.72 ? c * 0.62 : c);
  o = vec4(rgb * edge, edge);   // premultiplied alpha
}`;

export class PointsLayer {
  constructor(gl) {
    this.gl = gl;
    this.p = program(gl, VS, FS);
    this.vao = gl.createVertexArray();
    this.buffers = { prev: gl.createBuffer(), next: gl.createBuffer(), color: gl.createBuffer() };
    this.emphasis = gl.createBuffer();
    this.n = 0;
    this.nEmph = 0;
    gl.bindVertexArray(this.vao);
    const bind = (buf, name, size, type, normalized) => {
      const loc = this.p.attrib(name);
      gl.bindBuffer(gl.ARRAY_BUFFER, buf);
      gl.enableVertexAttribArray(loc);
      gl.vertexAttribPointer(loc, size, type, normalized, 0, 0);
    };
    bind(this.buffers.prev, 'a_prev', 2, gl.FLOAT, false);
    bind(this.buffers.next, 'a_next', 2, gl.FLOAT, false);
    bind(this.buffers.color, 'a_color', 4, gl.UNSIGNED_BYTE, true);
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this.emphasis);
    gl.bindVertexArray(null);
  }

  /** prev/next: Float32Array (2N); colors: Uint8Array (4N), alpha 0 hides a dot. */
  setData({ prev, next, colors }) {
    const gl = this.gl;
    gl.bindVertexArray(null);
    if (prev) { gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.prev); gl.bufferData(gl.ARRAY_BUFFER, prev, gl.DYNAMIC_DRAW); this.n = prev.length / 2; }
    if (next) { gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.next); gl.bufferData(gl.ARRAY_BUFFER, next, gl.DYNAMIC_DRAW); }
    if (colors) { gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.color); gl.bufferData(gl.ARRAY_BUFFER, colors, gl.DYNAMIC_DRAW); }
  }

  /** Indices drawn again on top, bigger and outlined (selection, search results). */
  setEmphasis(indices) {
    const gl = this.gl;
    gl.bindVertexArray(this.vao);
    gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, Uint32Array.from(indices || []), gl.DYNAMIC_DRAW);
    gl.bindVertexArray(null);
    this.nEmph = indices ? indices.length : 0;
  }

  render({ xf, width, height, dpr, t, dim }) {
    if (!this.n) return;
    const gl = this.gl, u = this.p.uniforms;
    const size = POINT_SIZES_CSS.find(([limit]) => this.n < limit)[1] * dpr;
    gl.useProgram(this.p.program);
    gl.bindVertexArray(this.vao);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    gl.uniform4fv(u.u_xf, clipTransform(xf, width, height));
    gl.uniform1f(u.u_t, t);
    gl.uniform1f(u.u_size, size);
    gl.uniform1f(u.u_emph, 0);
    gl.uniform1f(u.u_dim, dim ? DIM_TOWARD_WHITE : 0);
    gl.drawArrays(gl.POINTS, 0, this.n);
    if (this.nEmph) {
      gl.uniform1f(u.u_emph, 1);
      gl.uniform1f(u.u_size, Math.max(size * EMPHASIS_SCALE, 9 * dpr));
      gl.drawElements(gl.POINTS, this.nEmph, gl.UNSIGNED_INT, 0);
    }
    gl.bindVertexArray(null);
    gl.disable(gl.BLEND);
  }

  resize() {}

  dispose() {
    const gl = this.gl;
    for (const b of Object.values(this.buffers)) gl.deleteBuffer(b);
    gl.deleteBuffer(this.emphasis);
    gl.deleteVertexArray(this.vao);
    gl.deleteProgram(this.p.program);
  }
}
