// The territory (decision-region) image drawn under the points in the same world frame. It fills the
// whole canvas: beyond the method's extent the image's edge colours continue, so the map never floats
// in white margins. Two textures are cross-faded during an epoch transition.
// Sampling textures over the whole canvas is the most expensive thing on a software renderer, so the
// territory has its own canvas (and WebGL2 context) under the points: the browser composites it, and it
// is redrawn only when the view changes or the cross-fade moves on to its next step.
import { program, clipTransform } from './gl.js';

export const CROSSFADE_STEPS = 8;       // distinct cross-fade levels drawn during one transition

const VS = `
in vec2 a_unit; uniform vec4 u_rect; uniform vec4 u_xf; out vec2 v_uv;
void main() {
  vec2 clip = a_unit * 2.0 - 1.0;                             // the whole canvas
  vec2 w = vec2((clip.x - u_xf.y) / u_xf.x, (clip.y - u_xf.w) / u_xf.z);
  vec2 unit = (w - u_rect.xy) / (u_rect.zw - u_rect.xy);      // 0..1 over the extent, beyond it outside
  v_uv = vec2(unit.x, 1.0 - unit.y);                          // image row 0 is y_max
  gl_Position = vec4(clip, 0.0, 1.0);
}`;

const FS = `
in vec2 v_uv; uniform sampler2D u_a; uniform sampler2D u_b; uniform float u_mix; uniform float u_opacity;
out vec4 o;
void main() {
  vec3 c = mix(texture(u_a, v_uv).rgb, texture(u_b, v_uv).rgb, u_mix);
  o = vec4(mix(vec3(1.0), c, u_opacity), 1.0);
}`;

export class TerritoryLayer {
  /** canvas: the territory's own canvas, stacked under the points canvas. */
  constructor(canvas) {
    const gl = canvas.getContext('webgl2', { antialias: false, preserveDrawingBuffer: true });
    if (!gl) throw new Error('WebGL2 is not available in this browser');
    this.canvas = canvas;
    this.gl = gl;
    this.p = program(gl, VS, FS);
    this.vao = gl.createVertexArray();
    this.quad = gl.createBuffer();
    gl.bindVertexArray(this.vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.quad);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]), gl.STATIC_DRAW);
    const loc = this.p.attrib('a_unit');
    gl.enableVertexAttribArray(loc);
    gl.vertexAttribPointer(loc, 2, gl.FLOAT, false, 0, 0);
    gl.bindVertexArray(null);
    this.textures = new Map();     // key -> WebGLTexture (one per epoch image)
    this.drawnKey = null;          // what the canvas shows now
    this.nextId = 1;
    this.from = null; this.to = null;
    this.extent = null;
    this.opacity = 1;
  }

  _texture(key, bitmap) {
    if (this.textures.has(key)) return this.textures.get(key);
    const gl = this.gl, tex = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, tex);
    gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, false);
    gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
    gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, bitmap);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    tex.id = this.nextId++;
    this.textures.set(key, tex);
    return tex;
  }

  /** Cross-fade (as the points move) from the image shown now to {key, bitmap}; bitmap null clears the layer. */
  setData({ key, bitmap, extent, animate, opacity }) {
    if (opacity !== undefined) this.opacity = opacity;
    if (key === undefined) return;
    this.extent = extent;
    if (!bitmap) { this.from = this.to = null; return; }
    const tex = this._texture(key, bitmap);
    this.from = animate && this.to ? this.to : tex;
    this.to = tex;
  }

  render({ xf, width, height, mix: progress }) {
    const gl = this.gl, w = gl.drawingBufferWidth, h = gl.drawingBufferHeight;
    if (!this.to || !this.extent) {
      if (this.drawnKey !== 'blank') { gl.viewport(0, 0, w, h); gl.clearColor(1, 1, 1, 1); gl.clear(gl.COLOR_BUFFER_BIT); this.drawnKey = 'blank'; }
      return;
    }
    const mix = this.from === this.to ? 1 : Math.round(progress * CROSSFADE_STEPS) / CROSSFADE_STEPS;
    const key = [this.from.id, this.to.id, mix, xf.sx, xf.ox, xf.oy, width, height, w, h, this.opacity].join();
    if (key === this.drawnKey) return;
    this.drawnKey = key;
    const u = this.p.uniforms, e = this.extent;
    gl.viewport(0, 0, w, h);
    gl.clearColor(1, 1, 1, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.useProgram(this.p.program);
    gl.bindVertexArray(this.vao);
    gl.uniform4fv(u.u_xf, clipTransform(xf, width, height));
    gl.uniform4f(u.u_rect, e.x_min, e.y_min, e.x_max, e.y_max);
    gl.activeTexture(gl.TEXTURE0); gl.bindTexture(gl.TEXTURE_2D, this.from);
    gl.activeTexture(gl.TEXTURE1); gl.bindTexture(gl.TEXTURE_2D, this.to);
    gl.uniform1i(u.u_a, 0); gl.uniform1i(u.u_b, 1);
    gl.uniform1f(u.u_mix, mix);
    gl.uniform1f(u.u_opacity, this.opacity);
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
    gl.bindVertexArray(null);
  }

  /** Draw again at the next render even if nothing changed (after a resize, or for export). */
  invalidate() { this.drawnKey = null; }

  /** Forget cached textures (run or method changed). */
  clear() {
    for (const tex of this.textures.values()) this.gl.deleteTexture(tex);
    this.textures.clear();
    this.from = this.to = null;
    this.drawnKey = null;
  }

  dispose() {
    this.clear();
    this.gl.deleteBuffer(this.quad);
    this.gl.deleteVertexArray(this.vao);
    this.gl.deleteProgram(this.p.program);
    this.gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}
