// The only module that talks to the server. JSON comes back as objects, arrays as typed arrays
// built straight from the response bytes (dtype from the X-Dtype header, shape from X-Shape).

const TYPED = {
  uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array,
  uint32: Uint32Array, int32: Int32Array, float32: Float32Array, float64: Float64Array,
};

export class ApiError extends Error {
  constructor(message, status) { super(message); this.status = status; }
}

const enc = encodeURIComponent;

async function checked(res) {
  if (res.ok) return res;
  let message = `${res.status} ${res.statusText}`;
  try { message = (await res.json()).error || message; } catch (_) { /* not JSON */ }
  throw new ApiError(message, res.status);
}

async function getJSON(path, init) {
  return (await checked(await fetch(path, init))).json();
}

/** Fetch a binary array: {data: TypedArray, shape: [..]}. */
async function getArray(path) {
  const res = await checked(await fetch(path));
  const dtype = res.headers.get('X-Dtype');
  const Type = TYPED[dtype];
  if (!Type) throw new ApiError(`${path}: unsupported X-Dtype ${dtype}`, 0);
  const shape = (res.headers.get('X-Shape') || '').split(',').filter(Boolean).map(Number);
  return { data: new Type(await res.arrayBuffer()), shape };
}

/** Fetch a PNG as an ImageBitmap with its stored colours untouched (no colour-space conversion). */
async function getBitmap(path) {
  const blob = await (await checked(await fetch(path))).blob();
  return createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
}

const runPath = (run) => `/api/runs/${enc(run)}`;
const methodPath = (run, method) => `${runPath(run)}/methods/${enc(method)}`;

export const listRuns = () => getJSON('/api/runs');
export const listMethods = () => getJSON('/api/methods');
export const getRun = (run) => getJSON(runPath(run));
export const labels = async (run) => (await getArray(`${runPath(run)}/labels`)).data;
export const split = async (run) => (await getArray(`${runPath(run)}/split`)).data;
export const predictions = async (run, e) => (await getArray(`${runPath(run)}/epochs/${e}/predictions`)).data;
export const confidence = async (run, e) => (await getArray(`${runPath(run)}/epochs/${e}/confidence`)).data;
/** Positions of every sample as columns: {x, y} Float32Arrays (the server sends N x 2 rows). */
export async function positions(run, m, e) {
  const xy = (await getArray(`${methodPath(run, m)}/epochs/${e}/positions`)).data, n = xy.length / 2;
  const x = new Float32Array(n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) { x[i] = xy[2 * i]; y[i] = xy[2 * i + 1]; }
  return { x, y };
}
/** Prediction of each sample after its map point is decoded back (the map's round trip). */
export const roundtrip = async (run, m, e) => (await getArray(`${methodPath(run, m)}/epochs/${e}/roundtrip`)).data;
/** The territory's class and margin grids: {classes, margin, width, height} (row 0 = top). */
export async function territoryGrid(run, m, e) {
  const { data, shape: [, height, width] } = await getArray(`${methodPath(run, m)}/epochs/${e}/territory_grid`);
  return { classes: data.subarray(0, width * height), margin: data.subarray(width * height), width, height };
}
export const territory = (run, m, e) => getBitmap(`${methodPath(run, m)}/epochs/${e}/territory.png`);
export const epochMetrics = (run, m, e) => getJSON(`${methodPath(run, m)}/epochs/${e}/metrics`);
export const trajectory = (run, m, i) => getJSON(`${methodPath(run, m)}/samples/${i}/trajectory`);
export const sample = (run, i) => getJSON(`${runPath(run)}/samples/${i}`);
export const imageURL = (run, i, scale) => `${runPath(run)}/samples/${i}/image.png?scale=${scale}`;
export const timeline = (run) => getJSON(`${runPath(run)}/timeline`);
export const buildStatus = (run, m) => getJSON(`${methodPath(run, m)}/build`);
export const startBuild = (run, m, force = false) => getJSON(`${methodPath(run, m)}/build`, {
  method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ force }),
});
export const cancelBuild = (run, m) => getJSON(`${methodPath(run, m)}/build`, { method: 'DELETE' });
/** The run's live state; with etag and wait, the server answers once it differs (or 304 after wait s):
 * {state: object | null, etag, retryAfter: seconds before asking again, or 0}. */
export async function live(run, etag, wait) {
  const res = await fetch(`${runPath(run)}/live?wait=${wait}`, { headers: etag ? { 'If-None-Match': etag } : {}, cache: 'no-store' });
  const retryAfter = Number(res.headers.get('Retry-After')) || 0;
  if (res.status === 304) return { state: null, etag, retryAfter };
  await checked(res);
  return { state: await res.json(), etag: res.headers.get('ETag'), retryAfter };
}
/** Ask the server to follow the run (extend `method` as epochs arrive), or to stop. */
export const follow = (run, on, method) => getJSON(`${runPath(run)}/follow`, {
  method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ follow: on, method }),
});
export const suspicious = (run, k) => getJSON(`${runPath(run)}/suspicious?k=${k}`);
/** A person's marks on samples: {marks: {index: {mark, label?}}}; set one (a JSON body) or clear it. */
export const marks = (run) => getJSON(`${runPath(run)}/marks`);
export const setMark = (run, i, mark) => getJSON(`${runPath(run)}/marks/${i}`, {
  method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(mark),
});
export const clearMark = (run, i) => getJSON(`${runPath(run)}/marks/${i}`, { method: 'DELETE' });

/** Similarity search; params: {sample, epoch, k, space, split?, label?, prediction?}. */
export function search(run, params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') q.set(key, value);
  return getJSON(`${runPath(run)}/search?${q}`);
}
