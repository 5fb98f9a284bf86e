// Small WebGL2 helpers shared by the layers.

/** A linked program from GLSL ES 3.0 bodies (the version line, and the fragment precision, are added here). */
export function program(gl, vsSource, fsSource) {
  const compile = (type, source) => {
    const sh = gl.createShader(type);
    const head = type === gl.FRAGMENT_SHADER ? '#version 300 es\nprecision mediump float;\n' : '#version 300 es\n';
    gl.shaderSource(sh, head + source.trimStart());
    gl.compileShader(sh);
    if (!gl.getShaderParameter(sh, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(sh));
    return sh;
  };
  const p = gl.createProgram();
  gl.attachShader(p, compile(gl.VERTEX_SHADER, vsSource));
  gl.attachShader(p, compile(gl.FRAGMENT_SHADER, fsSource));
  gl.linkProgram(p);
  if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(p));
  const uniforms = {};
  const n = gl.getProgramParameter(p, gl.ACTIVE_UNIFORMS);
  for (let i = 0; i < n; i++) {
    const name = gl.getActiveUniform(p, i).name;
    uniforms[name] = gl.getUniformLocation(p, name);
  }
  return { program: p, uniforms, attrib: (name) => gl.getAttribLocation(p, name) };
}

/** World -> clip-space affine terms (sx, ox, sy, oy) from a CSS-pixel transform and canvas size. */
export function clipTransform(xf, width, height) {
  return [2 * xf.sx / width, 2 * xf.ox / width - 1, -2 * xf.sy / height, 1 - 2 * xf.oy / height];
}
