// Helpers for the claudemesh broker interop client (see README.md).
// Uses the same libraries as real claudemesh clients: `ws` and `libsodium-wrappers`.
// Wire contract: docs/PROTOCOL.md of this repository.
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

// libsodium-wrappers 0.7.x ships a broken ESM entry (it imports a file that is not in the
// package), so load its CommonJS build, as the claudemesh CLI bundle effectively does.
const require = createRequire(import.meta.url);
const sodium = require('libsodium-wrappers');

export { WebSocket };

/** Resolves to the ready libsodium instance. */
export async function sodiumReady() {
  await sodium.ready;
  return sodium;
}

// ---------------------------------------------------------------- encodings

export const toHex = (bytes) => sodium.to_hex(bytes);
export const fromHex = (hex) => sodium.from_hex(hex);
/** Standard base64 with padding (PROTOCOL §1). */
export const toB64 = (bytes) => sodium.to_base64(bytes, sodium.base64_variants.ORIGINAL);
export const fromB64 = (b64) => sodium.from_base64(b64, sodium.base64_variants.ORIGINAL);

export const ALNUM32 = /^[0-9A-Za-z]{32}$/;
export const HEX64 = /^[0-9a-f]{64}$/;

// ---------------------------------------------------------------- keys and signatures

/** ed25519 key pair: { publicKey, privateKey (64 bytes), pubHex }. */
export function keypair() {
  const kp = sodium.crypto_sign_keypair();
  return { publicKey: kp.publicKey, privateKey: kp.privateKey, pubHex: toHex(kp.publicKey) };
}

/** ed25519 detached signature over the UTF-8 bytes of `canonical`, as 128 lowercase hex. */
export function signHex(canonical, privateKey) {
  return toHex(sodium.crypto_sign_detached(sodium.from_string(canonical), privateKey));
}

export function verifyHex(canonical, sigHex, pubHex) {
  try {
    return sodium.crypto_sign_verify_detached(fromHex(sigHex), sodium.from_string(canonical), fromHex(pubHex));
  } catch {
    return false;
  }
}

/** Converted X25519 keys of an ed25519 key pair (for crypto_box). */
export function curveKeys(kp) {
  return {
    publicKey: sodium.crypto_sign_ed25519_pk_to_curve25519(kp.publicKey),
    privateKey: sodium.crypto_sign_ed25519_sk_to_curve25519(kp.privateKey),
  };
}

/** Seal `plaintext` (bytes) from sender ed25519 kp to recipient ed25519 pubkey hex. */
export function sealDm(plaintext, senderKp, recipientPubHex) {
  const nonce = sodium.randombytes_buf(sodium.crypto_box_NONCEBYTES);
  const recipientCurvePk = sodium.crypto_sign_ed25519_pk_to_curve25519(fromHex(recipientPubHex));
  const ct = sodium.crypto_box_easy(plaintext, nonce, recipientCurvePk, curveKeys(senderKp).privateKey);
  return { nonce: toB64(nonce), ciphertext: toB64(ct) };
}

/** Open a DM sealed to recipient ed25519 kp by sender ed25519 pubkey hex; throws on failure. */
export function openDm(nonceB64, ciphertextB64, senderPubHex, recipientKp) {
  const senderCurvePk = sodium.crypto_sign_ed25519_pk_to_curve25519(fromHex(senderPubHex));
  return sodium.crypto_box_open_easy(fromB64(ciphertextB64), fromB64(nonceB64), senderCurvePk,
    curveKeys(recipientKp).privateKey);
}

export const randomBytes = (n) => sodium.randombytes_buf(n);

// ---------------------------------------------------------------- hello frames (PROTOCOL §3)

/** Control-plane `hello`, signed `meshId|memberId|pubkey|timestamp` by the member key. */
export function buildHello({ meshId, memberId, memberKp, displayName, sessionPubkey, sessionId,
  timestamp = Date.now(), extra = {} }) {
  const signature = signHex(`${meshId}|${memberId}|${memberKp.pubHex}|${timestamp}`, memberKp.privateKey);
  const frame = {
    type: 'hello', meshId, memberId, pubkey: memberKp.pubHex,
    displayName, sessionId: sessionId ?? `daemon-${process.pid}`, pid: process.pid, cwd: process.cwd(),
    hostname: 'interop', peerType: 'ai', channel: 'claudemesh-daemon', groups: [],
    timestamp, signature, ...extra,
  };
  if (sessionPubkey) frame.sessionPubkey = sessionPubkey;
  return frame;
}

/**
 * `session_hello`: the member key attests the session key
 * (`claudemesh-session-attest|<parentMemberPubkey>|<sessionPubkey>|<expiresAt>`), the session key signs
 * `claudemesh-session-hello|<meshId>|<parentMemberPubkey>|<sessionPubkey>|<timestamp>`.
 */
export function buildSessionHello({ meshId, memberId, memberKp, sessionKp, displayName,
  expiresAt = Date.now() + 3600_000, timestamp = Date.now(), sessionId = randomUUID(), groups = [],
  role = 'dev', extra = {} }) {
  const parent = memberKp.pubHex;
  const sess = sessionKp.pubHex;
  return {
    type: 'session_hello', meshId, parentMemberId: memberId, parentMemberPubkey: parent, sessionPubkey: sess,
    parentAttestation: {
      sessionPubkey: sess, parentMemberPubkey: parent, expiresAt,
      signature: signHex(`claudemesh-session-attest|${parent}|${sess}|${expiresAt}`, memberKp.privateKey),
    },
    displayName, sessionId, pid: process.pid, cwd: process.cwd(), hostname: 'interop',
    channel: 'claudemesh-session', groups, role, timestamp,
    signature: signHex(`claudemesh-session-hello|${meshId}|${parent}|${sess}|${timestamp}`, sessionKp.privateKey),
    ...extra,
  };
}

// ---------------------------------------------------------------- WebSocket client

export class TimeoutError extends Error {}

/** Promise-based wrapper around a `ws` socket: send JSON, await the next frame matching a predicate. */
export class MeshClient {
  constructor(name, ws) {
    this.name = name;
    this.ws = ws;
    this.inbox = [];     // frames not yet consumed by a waiter
    this.waiters = [];   // { pred, resolve, reject, timer }
    this.closed = null;  // { code, reason } once closed
    ws.on('message', (data) => {
      let frame;
      try { frame = JSON.parse(data.toString('utf8')); } catch { frame = { type: '__unparseable__' }; }
      const i = this.waiters.findIndex((w) => w.pred(frame));
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        clearTimeout(w.timer);
        w.resolve(frame);
      } else {
        this.inbox.push(frame);
      }
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString('utf8') };
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.reject(new Error(`${this.name}: socket closed ${code} ${this.closed.reason} while waiting for ${w.what}`));
      }
    });
    ws.on('error', () => {}); // surfaced through 'close'
  }

  static connect(name, url, timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
      const fail = (e) => reject(new Error(`${name}: connect ${url} failed: ${e.message ?? e}`));
      ws.once('error', fail);
      ws.once('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)));
      ws.once('open', () => { ws.off('error', fail); resolve(new MeshClient(name, ws)); });
    });
  }

  send(obj) {
    this.ws.send(JSON.stringify(obj));
  }

  /** Next frame (already buffered or future) for which pred(frame) is true. */
  next(pred, what = 'frame', timeoutMs = 5000) {
    const i = this.inbox.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    if (this.closed) {
      return Promise.reject(new Error(`${this.name}: socket closed ${this.closed.code} ${this.closed.reason} before ${what}`));
    }
    return new Promise((resolve, reject) => {
      const w = { pred, resolve, reject, what };
      w.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new TimeoutError(`${this.name}: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  nextType(type, extraPred = () => true, timeoutMs = 5000) {
    return this.next((f) => f.type === type && extraPred(f), `"${type}" frame`, timeoutMs);
  }

  close() {
    try { this.ws.close(1000, 'done'); } catch { /* ignore */ }
  }
}

// ---------------------------------------------------------------- admin API (DESIGN "Membership administration")

export class AdminApi {
  constructor(baseUrl, token) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.token = token;
  }

  async post(path, body, expectStatus = 201) {
    let res;
    try {
      res = await fetch(this.baseUrl + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
    } catch (e) {
      throw new Error(`POST ${path}: ${e.message}${e.cause ? ` (${e.cause.code ?? e.cause.message})` : ''}`);
    }
    const text = await res.text();
    if (res.status !== expectStatus) {
      throw new Error(`POST ${path}: expected HTTP ${expectStatus}, got ${res.status}: ${text.slice(0, 200)}`);
    }
    return JSON.parse(text);
  }

  createMesh(name, slug = name) {
    return this.post('/admin/meshes', { name, slug });
  }

  addMember(meshId, pubkey, displayName, extra = {}) {
    return this.post(`/admin/meshes/${encodeURIComponent(meshId)}/members`, { pubkey, displayName, ...extra });
  }
}

// ---------------------------------------------------------------- assertions

export function check(cond, msg) {
  if (!cond) throw new Error(`check failed: ${msg}`);
}
