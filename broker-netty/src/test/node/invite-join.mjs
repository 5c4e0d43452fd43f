#!/usr/bin/env node
// What `claudemesh join ic://join/<token>` does, against the Java broker (PROTOCOL §9):
//   node invite-join.mjs --link ic://join/<token> [--timeout-ms 20000]
// 1. parses the link and verifies the owner's signature over the canonical string with
//    crypto_sign_verify_detached, as the CLI does; a copy with the role changed must fail that check;
// 2. generates a fresh ed25519 member key (libsodium) and POSTs /join with the token and the payload object;
// 3. joins again with the same key: alreadyMember, same memberId;
// 4. connects to the payload's broker_url and sends a control-plane `hello` signed by the new key: hello_ack.
// Success: one JSON line on stdout ({"ok":true,...}), exit 0. Failure: "invite-join FAILED: …" on stderr, exit 1.
// Never prints the token, the root key or any key.
import { parseArgs } from 'node:util';
import { sodiumReady, keypair, buildHello, MeshClient, check, ALNUM32 } from './lib.mjs';
import { parseInviteLink, encodeToken, wsToHttp, postJoin } from './invite-lib.mjs';

function fail(reason) {
  process.stderr.write(`invite-join FAILED: ${String(reason).replace(/[A-Za-z0-9_-]{40,}/g, '<redacted>')}\n`);
  process.exit(1);
}

let opts;
try {
  opts = parseArgs({ options: { link: { type: 'string' }, 'timeout-ms': { type: 'string', default: '20000' } },
    strict: true }).values;
} catch (e) {
  fail(`bad arguments: ${e.message}`);
}
if (!opts.link) fail('usage: node invite-join.mjs --link ic://join/<token> [--timeout-ms 20000]');
setTimeout(() => fail('global timeout exceeded'), Number(opts['timeout-ms']));

try {
  await sodiumReady();
  // 1. parse + verify, as the CLI does before anything else
  const { payload, token } = await parseInviteLink(opts.link);
  let tamperedRejected = false;
  try {
    await parseInviteLink(`ic://join/${encodeToken({ ...payload, role: payload.role === 'admin' ? 'member' : 'admin' })}`);
  } catch (e) {
    tamperedRejected = /signature invalid/.test(e.message);
  }
  check(tamperedRejected, 'a payload with another role passed the signature check');
  const httpsForm = await parseInviteLink(`https://claudemesh.example/join/${token}`);
  check(httpsForm.token === token, 'https://host/join/<token> form not accepted');

  // 2. enrol a fresh key
  const member = keypair();
  const base = wsToHttp(payload.broker_url);
  const body = { invite_token: token, invite_payload: payload, peer_pubkey: member.pubHex, display_name: 'node-joiner' };
  const first = await postJoin(base, body);
  check(first.status === 200 && first.body.ok === true && ALNUM32.test(first.body.memberId ?? ''),
    `join: HTTP ${first.status} ${JSON.stringify(first.body)}`);
  check(first.body.alreadyMember === undefined, 'first join said alreadyMember');

  // 3. same key again
  const again = await postJoin(base, body);
  check(again.status === 200 && again.body.memberId === first.body.memberId && again.body.alreadyMember === true,
    `second join: HTTP ${again.status} ${JSON.stringify(again.body)}`);

  // 4. the new member key authenticates on the broker_url the invite carries
  const c = await MeshClient.connect('joiner', payload.broker_url);
  c.send(buildHello({ meshId: payload.mesh_id, memberId: first.body.memberId, memberKp: member, displayName: 'node-joiner' }));
  const ack = await c.next((f) => f.type === 'hello_ack' || f.type === 'error', 'hello_ack');
  c.close();
  check(ack.type === 'hello_ack', `hello rejected: ${ack.code}`);

  process.stdout.write(`${JSON.stringify({ ok: true, meshId: payload.mesh_id, memberId: first.body.memberId,
    role: payload.role, verified: true, tamperedRejected, alreadyMember: true, helloAck: true })}\n`);
  process.exit(0);
} catch (e) {
  fail(e.message ?? e);
}
