#!/usr/bin/env node
// Topics end to end as the claudemesh CLI does them (PROTOCOL-MESH §8), with the libraries it uses: `ws` for the
// WebSocket, `libsodium-wrappers` for the topic key and message bodies, and Node's global `fetch` for the REST API
// under /api/v1 and for reading the topic's server-sent-event stream (as `claudemesh topic tail` does). See README.md.
//
//   node topics.mjs --url ws://127.0.0.1:PORT/ws --admin-url http://127.0.0.1:PORT --admin-token TOKEN
//
// Success: one JSON line on stdout ({"ok":true,...}), exit 0. Failure: "topics FAILED: <reason>" on stderr, exit 1.
// Never prints keys, secrets, nonces, ciphertext or plaintext.
import { parseArgs } from 'node:util';
import {
  sodiumReady, keypair, buildSessionHello, toB64, fromB64, MeshClient, AdminApi, check, ALNUM32,
} from './lib.mjs';

const t0 = Date.now();
const redact = (s) => String(s).replace(/[0-9a-fA-F]{32,}/g, '<hex>').replace(/[A-Za-z0-9+/_-]{40,}={0,2}/g, '<b64>');
function fail(reason) {
  process.stderr.write(`topics FAILED: ${redact(reason)}\n`);
  process.exit(1);
}

let opts;
try {
  opts = parseArgs({
    options: {
      url: { type: 'string' }, 'admin-url': { type: 'string' }, 'admin-token': { type: 'string' },
      'timeout-ms': { type: 'string', default: '30000' },
    },
    strict: true,
  }).values;
} catch (e) {
  fail(`bad arguments: ${e.message}`);
}
if (!opts.url || !opts['admin-url'] || !opts['admin-token']) {
  fail('usage: node topics.mjs --url ws://HOST:PORT/ws --admin-url http://HOST:PORT --admin-token TOKEN');
}
setTimeout(() => fail(`global timeout of ${opts['timeout-ms']} ms exceeded`), Number(opts['timeout-ms']));
const api = opts['admin-url'].replace(/\/+$/, '');
const clients = [];
let reqs = 0;

/** Sends `frame` with a fresh _reqId and resolves with the frame that echoes it. */
async function request(c, frame, what) {
  const reqId = `n${++reqs}`;
  c.send({ ...frame, _reqId: reqId });
  return c.next((f) => f._reqId === reqId, what, 5000);
}

async function rest(method, path, key, body) {
  const res = await fetch(api + path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** The topic's event stream read with fetch + ReadableStream, parsed as `claudemesh topic tail` parses it. */
async function openStream(topic, key, lastEventId) {
  const ctl = new AbortController();
  const res = await fetch(`${api}/api/v1/topics/${encodeURIComponent(topic)}/stream`, {
    headers: { authorization: `Bearer ${key}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    signal: ctl.signal,
  });
  check(res.status === 200, `stream answered ${res.status}`);
  check((res.headers.get('content-type') ?? '').startsWith('text/event-stream'), 'stream content type');
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const events = [];
  const waiters = [];
  let buffer = '';
  (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let i;
        while ((i = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const ev = { event: 'message', data: '' };
          const data = [];
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            if (!line || colon < 0) continue;
            const field = line.slice(0, colon);
            const val = line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') ev.event = val;
            else if (field === 'id') ev.id = val;
            else if (field === 'data') data.push(val);
          }
          ev.data = data.join('\n');
          const w = waiters.findIndex((x) => x.pred(ev));
          if (w >= 0) waiters.splice(w, 1)[0].resolve(ev); else events.push(ev);
        }
      }
    } catch { /* aborted */ }
  })();
  return {
    next(pred, what) {
      const i = events.findIndex(pred);
      if (i >= 0) return Promise.resolve(events.splice(i, 1)[0]);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        waiters.push(w);
        setTimeout(() => reject(new Error(`stream: timed out waiting for ${what}`)), 8000);
      });
    },
    close() { ctl.abort(); },
  };
}

async function main() {
  const sodium = await sodiumReady();
  const admin = new AdminApi(opts['admin-url'], opts['admin-token']);
  const mesh = await admin.createMesh(`topics-${Date.now().toString(36)}`);
  const keys = { alice: keypair(), bob: keypair() };
  const members = {};
  const ws = {};
  for (const name of ['alice', 'bob']) {
    members[name] = await admin.addMember(mesh.id, keys[name].pubHex, name);
    const c = await MeshClient.connect(name, opts.url);
    clients.push(c);
    c.send(buildSessionHello({ meshId: mesh.id, memberId: members[name].id, memberKp: keys[name],
      sessionKp: keypair(), displayName: name }));
    const ack = await c.nextType('hello_ack');
    check(ALNUM32.test(ack.presenceId), `${name}: hello_ack`);
    ws[name] = c;
  }

  // topic_create: the broker makes the topic key and seals alice's copy (crypto_box, ed25519 -> X25519)
  const created = await request(ws.alice, { type: 'topic_create', name: 'ops', visibility: 'public' }, 'topic_created');
  check(created.type === 'topic_created' && created.created === true, `topic_create: ${created.type}`);
  const topicId = created.topic.id;
  ws.bob.send({ type: 'topic_join', topic: 'ops' });
  check((await request(ws.bob, { type: 'topic_list' }, 'topic_list_response')).topics[0].memberCount === 2,
    'bob subscribed');

  // API keys minted over the WebSocket, as the CLI's withRestKey does
  const aliceKey = await request(ws.alice, { type: 'apikey_create', label: `cli-post-${process.pid}`,
    capabilities: ['read', 'send'], topicScopes: ['ops'], expiresAt: new Date(Date.now() + 300_000).toISOString() },
  'apikey_created');
  const bobKey = await request(ws.bob, { type: 'apikey_create', label: `cli-tail-${process.pid}`,
    capabilities: ['read'], topicScopes: ['ops'], expiresAt: new Date(Date.now() + 300_000).toISOString() },
  'apikey_created');
  check(/^cm_[A-Za-z0-9_-]{43}$/.test(aliceKey.secret) && aliceKey.secret.startsWith(aliceKey.prefix), 'secret shape');

  // alice opens her sealed copy with libsodium: blob = sender X25519 public key || crypto_box(topic key)
  const sealed = await rest('GET', '/api/v1/topics/ops/key', aliceKey.secret);
  check(sealed.status === 200, `GET key: ${sealed.status}`);
  const blob = fromB64(sealed.json.encryptedKey);
  check(sodium.to_hex(blob.slice(0, 32)) === sealed.json.senderPubkey, 'blob starts with the sender key');
  const topicKey = sodium.crypto_box_open_easy(blob.slice(32), fromB64(sealed.json.nonce), blob.slice(0, 32),
    sodium.crypto_sign_ed25519_sk_to_curve25519(keys.alice.privateKey));
  check(topicKey.length === 32, 'topic key is 32 bytes');

  // bob has no copy yet; alice re-seals one for him as `topic tail` does, and bob opens it
  check((await rest('GET', '/api/v1/topics/ops/key', bobKey.secret)).status === 404, 'bob: not sealed yet');
  const pending = await rest('GET', '/api/v1/topics/ops/pending-seals', aliceKey.secret);
  check(pending.json.pending.length === 1 && pending.json.pending[0].memberId === members.bob.id, 'bob pending');
  const nonce = sodium.randombytes_buf(sodium.crypto_box_NONCEBYTES);
  const aliceCurve = sodium.crypto_sign_ed25519_sk_to_curve25519(keys.alice.privateKey);
  const box = sodium.crypto_box_easy(topicKey, nonce, sodium.crypto_sign_ed25519_pk_to_curve25519(
    sodium.from_hex(pending.json.pending[0].pubkey)), aliceCurve);
  const reseal = new Uint8Array(32 + box.length);
  reseal.set(sodium.crypto_sign_ed25519_pk_to_curve25519(keys.alice.publicKey), 0);
  reseal.set(box, 32);
  const sealResult = await rest('POST', '/api/v1/topics/ops/seal', aliceKey.secret,
    { memberId: members.bob.id, encryptedKey: toB64(reseal), nonce: toB64(nonce) });
  check(sealResult.status === 200, `seal: ${sealResult.status}`);
  const bobSealed = (await rest('GET', '/api/v1/topics/ops/key', bobKey.secret)).json;
  const bobBlob = fromB64(bobSealed.encryptedKey);
  const bobTopicKey = sodium.crypto_box_open_easy(bobBlob.slice(32), fromB64(bobSealed.nonce), bobBlob.slice(0, 32),
    sodium.crypto_sign_ed25519_sk_to_curve25519(keys.bob.privateKey));
  check(sodium.memcmp(bobTopicKey, topicKey), 'bob opened the same topic key');

  // bob tails the topic; alice posts a v2 (crypto_secretbox) message over REST: it arrives on bob's stream and
  // on bob's WebSocket lease at once
  const stream = await openStream('ops', bobKey.secret);
  const ready = await stream.next((e) => e.event === 'ready', 'ready');
  check(JSON.parse(ready.data).topicId === topicId, 'ready names the topic');
  const text = `deploy at 5 @bob ${Math.random()}`;
  const msgNonce = sodium.randombytes_buf(sodium.crypto_secretbox_NONCEBYTES);
  const posted = await rest('POST', '/api/v1/messages', aliceKey.secret, { topic: 'ops', bodyVersion: 2,
    ciphertext: toB64(sodium.crypto_secretbox_easy(sodium.from_string(text), msgNonce, topicKey)),
    nonce: toB64(msgNonce), mentions: ['bob'] });
  check(posted.status === 200 && posted.json.notifications === 1, `POST messages: ${posted.status}`);
  const ev = await stream.next((e) => e.event === 'message', 'message (REST)');
  const row = JSON.parse(ev.data);
  check(ev.id === posted.json.messageId && row.bodyVersion === 2, 'stream event id and body version');
  check(sodium.to_string(sodium.crypto_secretbox_open_easy(fromB64(row.ciphertext), fromB64(row.nonce), bobTopicKey))
    === text, 'bob decrypted the streamed message');
  const push = await ws.bob.nextType('push', (f) => f.messageId === posted.json.messageId);
  check(push.topic === 'ops' && push.senderName === 'alice', 'REST post pushed to bob over the WebSocket');

  // alice sends over the WebSocket (v1: base64 of the text, as the CLI's `send "#ops"`): it reaches the stream
  const wsText = `from the socket ${Math.random()}`;
  ws.alice.send({ type: 'send', id: 'w1', targetSpec: `#${topicId}`, nonce: toB64(sodium.randombytes_buf(24)),
    ciphertext: Buffer.from(wsText, 'utf8').toString('base64') });
  const ack = await ws.alice.nextType('ack', (f) => f.id === 'w1');
  check(ack.queued === true, `WS send acked: ${ack.error}`);
  const wsEv = await stream.next((e) => e.event === 'message' && e.id === ack.messageId, 'message (WS)');
  check(Buffer.from(JSON.parse(wsEv.data).ciphertext, 'base64').toString('utf8') === wsText, 'WS send on stream');
  stream.close();

  // while bob is away, one more; resuming with Last-Event-ID replays exactly it
  const missed = await rest('POST', '/api/v1/messages', aliceKey.secret, { topic: 'ops',
    ciphertext: Buffer.from('missed', 'utf8').toString('base64'), nonce: toB64(sodium.randombytes_buf(24)) });
  const resumed = await openStream('ops', bobKey.secret, ack.messageId);
  const replay = await resumed.next((e) => e.event === 'message', 'replayed message');
  check(replay.id === missed.json.messageId, 'resumed with the missed message');
  resumed.close();

  const notes = await rest('GET', '/api/v1/notifications', bobKey.secret);
  check(notes.json.mentionedAs === 'bob' && notes.json.notifications.length === 1, 'bob mentioned once');
  const roster = await rest('GET', '/api/v1/members', bobKey.secret);
  check(roster.json.members.filter((m) => m.online).length === 2, 'both members online');

  // revoked keys stop working
  for (const [c, k] of [[ws.alice, aliceKey], [ws.bob, bobKey]]) {
    const r = await request(c, { type: 'apikey_revoke', id: k.id }, 'apikey_revoke_response');
    check(r.status === 'revoked', `revoke: ${r.status}`);
  }
  check((await rest('GET', '/api/v1/members', bobKey.secret)).status === 401, 'revoked key refused');

  for (const c of clients) c.close();
  process.stdout.write(`${JSON.stringify({ ok: true, meshId: mesh.id, topicId, topicKeyOpened: true, resealed: true,
    stream: { rest: true, websocket: true, resumed: true }, pushedToWebSocket: true, notifications: 1,
    elapsedMs: Date.now() - t0 })}\n`);
  process.exit(0);
}

main().catch((e) => fail(e.stack ?? e.message));
