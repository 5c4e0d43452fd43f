// The admin API as the console calls it: the token from sessionStorage as "Authorization: Bearer", JSON in and out.
// A 401 throws Unauthorized (the app then asks for the token again); other failures throw ApiError with the
// broker's {"error": "..."} message.

const KEY = 'claudemesh.adminToken';

export function token() {
  return sessionStorage.getItem(KEY);
}

export function setToken(value) {
  sessionStorage.setItem(KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(KEY);
}

export class Unauthorized extends Error {
  constructor() {
    super('unauthorized');
  }
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function headers(json) {
  const h = { Authorization: 'Bearer ' + (token() || '') };
  if (json) {
    h['Content-Type'] = 'application/json';
  }
  return h;
}

export async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  if (res.status === 401) {
    throw new Unauthorized();
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (e) {
    data = null;
  }
  if (!res.ok) {
    throw new ApiError(res.status, (data && data.error) || res.statusText || ('HTTP ' + res.status));
  }
  return data;
}

// Reads a server-sent event stream with fetch (EventSource cannot send the Authorization header). Calls
// onEvent(name, data) per event; resolves when the server ends the stream; rejects on failure. Abort with signal.
export async function stream(path, onEvent, signal) {
  const res = await fetch(path, { headers: { ...headers(false), Accept: 'text/event-stream' }, signal, cache: 'no-store' });
  if (res.status === 401) {
    throw new Unauthorized();
  }
  if (!res.ok) {
    throw new ApiError(res.status, 'stream refused: HTTP ' + res.status);
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      return;
    }
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) {
          name = line.slice(7);
        } else if (line.startsWith('data: ')) {
          data.push(line.slice(6));
        }
      }
      if (data.length > 0) {
        onEvent(name, data.join('\n'));
      }
    }
  }
}
