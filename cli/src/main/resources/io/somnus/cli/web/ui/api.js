// The page's only way to the server: the JSON of /api/lineage (LineageApi.java). Errors carry the server's message.
const BASE = '/api/lineage';

async function answer(response) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error?.message ?? `${response.status} ${response.statusText}`);
  return body;
}

export const get = (path) => fetch(BASE + path).then(answer);

export const post = (path, data) => fetch(BASE + path, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(data),
}).then(answer);

export const when = (iso) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '');

export const num = (x) => (x === null || x === undefined ? '–' : Number.isInteger(x) ? String(x) : x.toFixed(3));
