#!/usr/bin/env node
// claudemesh broker interop check, driven by the libraries real claudemesh clients use
// (`ws`, `libsodium-wrappers`). See README.md.
//
//   node interop.mjs --url ws://127.0.0.1:PORT/ws --admin-url http://127.0.0.1:PORT --admin-token TOKEN
//                    [--timeout-ms 20000]
//
// Success: one JSON line on stdout ({"ok":true,...}), exit 0.
// Failure: "interop FAILED: <reason>" on stderr, exit 1. Never prints keys, nonces, ciphertext or plaintext.
import { parseArgs } from 'node:util';
import {
  sodiumReady, keypair, buildSessionHello, sealDm, openDm, toB64, fromB64, randomBytes, toHex,
  MeshClient, AdminApi, check, ALNUM32,
} from './lib.mjs';

const t0 = Date.now();

function redact(s) {
  // Belt and braces: never let anything that looks like a key, signature or payload reach the output.
  return String(s).replace(/[0-9a-fA-F]{32,}/g, '<hex>').replace(/[A-Za-z0-9+/]{40,}={0,2}/g, '<b64>');
}

function fail(reason) {
  process.stderr.write(`interop FAILED: ${redact(reason)}\n`);
  process.exit(1);
}

let opts;
try {
  opts = parseArgs({
    options: {
      url: { type: 'string' },
      'admin-url': { type: 'string' },
      'admin-token': { type: 'string' },
      'timeout-ms': { type: 'string', default: '20000' },
    },
    strict: true,
  }).values;
} catch (e) {
  fail(`bad arguments: ${e.message}`);
}
if (!opts.url || !opts['admin-url'] || !opts['admin-token']) {
  fail('usage: node interop.mjs --url ws://HOST:PORT/ws --admin-url http://HOST:PORT --admin-token TOKEN [--timeout-ms 20000]');
}
const globalTimeoutMs = Number(opts['timeout-ms']);
if (!Number.isInteger(globalTimeoutMs) || globalTimeoutMs <= 0) fail('--timeout-ms must be a positive integer');
setTimeout(() => fail(`global timeout of ${globalTimeoutMs} ms exceeded`), globalTimeoutMs);

const clients = [];

async function connectSession(name, meshId, member, memberKp) {
  const sessionKp = keypair();
  const c = await MeshClient.connect(name, opts.url);
  clients.push(c);
  c.send(buildSessionHello({ meshId, memberId: member.id, memberKp, sessionKp, displayName: name,
    expiresAt: Date.now() + 3600_000 }));
  const reply = await c.next((f) => f.type === 'hello_ack' || f.type === 'error', `${name} hello_ack`);
  check(reply.type === 'hello_ack', `${name}: session_hello rejected: ${reply.code} (${reply.message})`);
  check(typeof reply.presenceId === 'string' && ALNUM32.test(reply.presenceId), `${name}: hello_ack.presenceId is not 32 alnum`);
  check(reply.memberDisplayName === name, `${name}: hello_ack.memberDisplayName is ${JSON.stringify(reply.memberDisplayName)}, expected ${JSON.stringify(name)}`);
  return { name, client: c, member, memberKp, sessionKp, presenceId: reply.presenceId };
}

const isUserPush = (cmid) => (f) => f.type === 'push' && f.subtype !== 'system' && f.client_message_id === cmid;

async function main() {
  await sodiumReady();
  const admin = new AdminApi(opts['admin-url'], opts['admin-token']);

  // 1. Mesh and members through the admin API.
  const slug = `interop-${toHex(randomBytes(6))}`;
  const mesh = await admin.createMesh(slug, slug);
  check(typeof mesh.id === 'string' && ALNUM32.test(mesh.id), 'created mesh id is not 32 alnum');
  check(mesh.slug === slug, 'created mesh slug differs');
  const meshId = mesh.id;

  const aliceKp = keypair();
  const bobKp = keypair();
  const aliceMember = await admin.addMember(meshId, aliceKp.pubHex, 'alice');
  const bobMember = await admin.addMember(meshId, bobKp.pubHex, 'bob');
  for (const [m, kp, n] of [[aliceMember, aliceKp, 'alice'], [bobMember, bobKp, 'bob']]) {
    check(typeof m.id === 'string' && m.id.length > 0, `${n}: member id missing`);
    check(m.pubkey === kp.pubHex, `${n}: member pubkey not echoed`);
    check(m.meshId === meshId, `${n}: member meshId differs`);
  }

  // 2. Two session sockets with real attested session_hello frames.
  const alice = await connectSession('alice', meshId, aliceMember, aliceKp);
  const bob = await connectSession('bob', meshId, bobMember, bobKp);
  check(alice.presenceId !== bob.presenceId, 'presenceIds are not distinct');

  // bob joining is announced to alice (system push, PROTOCOL §5).
  const joined = await alice.client.next(
    (f) => f.type === 'push' && f.subtype === 'system' && f.event === 'peer_joined', 'alice peer_joined event');
  check(joined.senderPubkey === 'system', 'peer_joined.senderPubkey is not "system"');
  check(joined.eventData && joined.eventData.name === 'bob', 'peer_joined.eventData.name is not "bob"');
  check([bob.sessionKp.pubHex, bobKp.pubHex].includes(joined.eventData.pubkey), 'peer_joined.eventData.pubkey is not bob\'s key');

  // 3. list_peers: both sessions, role "session".
  alice.client.send({ type: 'list_peers', _reqId: 'r1' });
  const pl = await alice.client.nextType('peers_list', (f) => f._reqId === 'r1');
  check(Array.isArray(pl.peers), 'peers_list.peers is not an array');
  for (const p of [alice, bob]) {
    const e = pl.peers.find((x) => x.pubkey === p.sessionKp.pubHex);
    check(e, `peers_list lacks ${p.name}'s session`);
    check(e.peerRole === 'session', `peers_list: ${p.name}.peerRole is ${JSON.stringify(e.peerRole)}`);
    check(e.memberPubkey === p.memberKp.pubHex, `peers_list: ${p.name}.memberPubkey differs`);
    check(e.displayName === p.name, `peers_list: ${p.name}.displayName differs`);
  }

  // 4. Sealed DM alice -> bob's session key.
  const plaintext = randomBytes(48);
  const sealed = sealDm(plaintext, alice.sessionKp, bob.sessionKp.pubHex);
  alice.client.send({ type: 'send', id: 'c1', client_message_id: 'c1', targetSpec: bob.sessionKp.pubHex,
    priority: 'now', nonce: sealed.nonce, ciphertext: sealed.ciphertext });
  const ack = await alice.client.nextType('ack', (f) => f.id === 'c1');
  check(ack.queued === true, `DM ack not queued: ${ack.error ?? '(no error text)'}`);
  check(typeof ack.messageId === 'string' && ALNUM32.test(ack.messageId), 'DM ack.messageId is not 32 alnum');

  const push = await bob.client.next(isUserPush('c1'), 'bob DM push');
  check(push.messageId === ack.messageId, 'push.messageId differs from ack.messageId');
  check(push.senderPubkey === alice.sessionKp.pubHex, 'push.senderPubkey is not alice\'s session key');
  check(push.meshId === meshId, 'push.meshId differs');
  check(push.priority === 'now', `push.priority is ${JSON.stringify(push.priority)}`);
  check(push.senderName === 'alice', `push.senderName is ${JSON.stringify(push.senderName)}`);
  check(push.nonce === sealed.nonce && push.ciphertext === sealed.ciphertext, 'push nonce/ciphertext not relayed verbatim');
  let opened;
  try {
    opened = openDm(push.nonce, push.ciphertext, push.senderPubkey, bob.sessionKp);
  } catch {
    throw new Error('bob could not open the DM with crypto_box_open_easy');
  }
  check(toHex(opened) === toHex(plaintext), 'decrypted DM differs from the plaintext sent');
  bob.client.send({ type: 'client_ack', clientMessageId: 'c1', brokerMessageId: push.messageId });

  // 5. Broadcast bob -> "*" reaches alice.
  const bcastText = `interop broadcast ${toHex(randomBytes(8))}`;
  const bcastB64 = toB64(new TextEncoder().encode(bcastText));
  const bNonce = toB64(randomBytes(24));
  bob.client.send({ type: 'send', id: 'c2', client_message_id: 'c2', targetSpec: '*', priority: 'next',
    nonce: bNonce, ciphertext: bcastB64 });
  const back = await bob.client.nextType('ack', (f) => f.id === 'c2');
  check(back.queued === true, `broadcast ack not queued: ${back.error ?? '(no error text)'}`);
  check(typeof back.messageId === 'string' && ALNUM32.test(back.messageId), 'broadcast ack.messageId is not 32 alnum');
  const bpush = await alice.client.next(isUserPush('c2'), 'alice broadcast push');
  check(bpush.senderPubkey === bob.sessionKp.pubHex, 'broadcast push.senderPubkey is not bob\'s session key');
  check(bpush.meshId === meshId, 'broadcast push.meshId differs');
  check(bpush.senderName === 'bob', `broadcast push.senderName is ${JSON.stringify(bpush.senderName)}`);
  check(bpush.senderMemberPubkey === bobKp.pubHex, 'broadcast push.senderMemberPubkey differs');
  check(bpush.senderMemberId === bobMember.id, 'broadcast push.senderMemberId differs');
  check(new TextDecoder().decode(fromB64(bpush.ciphertext)) === bcastText, 'broadcast payload not relayed verbatim');

  // Sanity: no error frame was received by either socket along the way.
  for (const c of clients) {
    const err = c.inbox.find((f) => f.type === 'error' || f.type === '__unparseable__');
    check(!err, `${c.name} received an unexpected ${err?.type} frame${err?.code ? ` (${err.code})` : ''}`);
  }

  for (const c of clients) c.close();
  process.stdout.write(JSON.stringify({
    ok: true, meshId,
    presenceIds: { alice: alice.presenceId, bob: bob.presenceId },
    dm: { messageId: ack.messageId, decrypted: true },
    broadcast: { messageId: back.messageId, delivered: true },
    peersListed: pl.peers.length,
    elapsedMs: Date.now() - t0,
  }) + '\n');
  process.exit(0);
}

main().catch((e) => fail(e?.message ?? e));
