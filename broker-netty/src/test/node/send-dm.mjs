#!/usr/bin/env node
// Worked example for the README: two members already enrolled with curl (their ed25519 secret keys in hex, as
// printed by `java -jar claudemesh-broker.jar keygen`) connect with session_hello, alice seals a DM to bob's
// session key with crypto_box_easy, bob receives the push, decrypts it, prints the plaintext and client_acks it.
//
//   node send-dm.mjs --url ws://127.0.0.1:7900/ws --mesh MESH_ID \
//        --alice-id MEMBER_ID --alice-secret SECRET_HEX --bob-id MEMBER_ID --bob-secret SECRET_HEX \
//        [--text "hello bob"]
import { parseArgs } from 'node:util';
import { sodiumReady, keypair, buildSessionHello, sealDm, openDm, fromHex, toHex, MeshClient } from './lib.mjs';

const { values: o } = parseArgs({
  options: {
    url: { type: 'string', default: 'ws://127.0.0.1:7900/ws' }, mesh: { type: 'string' },
    'alice-id': { type: 'string' }, 'alice-secret': { type: 'string' },
    'bob-id': { type: 'string' }, 'bob-secret': { type: 'string' },
    text: { type: 'string', default: 'hello bob, from alice' },
  },
});
for (const k of ['mesh', 'alice-id', 'alice-secret', 'bob-id', 'bob-secret']) {
  if (!o[k]) { console.error(`missing --${k}`); process.exit(2); }
}
await sodiumReady();
const memberKp = (secretHex) => {
  const privateKey = fromHex(secretHex);
  const publicKey = privateKey.slice(32);
  return { publicKey, privateKey, pubHex: toHex(publicKey) };
};

async function join(name, memberId, secretHex) {
  const c = await MeshClient.connect(name, o.url);
  const sessionKp = keypair();
  c.send(buildSessionHello({ meshId: o.mesh, memberId, memberKp: memberKp(secretHex), sessionKp, displayName: name }));
  const ack = await c.next((f) => f.type === 'hello_ack' || f.type === 'error', 'hello_ack');
  if (ack.type !== 'hello_ack') { console.error(`${name}: ${ack.code}`); process.exit(1); }
  console.log(`${name} connected, presenceId ${ack.presenceId}`);
  return { c, sessionKp };
}

const alice = await join('alice', o['alice-id'], o['alice-secret']);
const bob = await join('bob', o['bob-id'], o['bob-secret']);
const sealed = sealDm(new TextEncoder().encode(o.text), alice.sessionKp, bob.sessionKp.pubHex);
alice.c.send({ type: 'send', id: 'c1', client_message_id: 'c1', targetSpec: bob.sessionKp.pubHex, priority: 'now', ...sealed });
const ack = await alice.c.nextType('ack');
console.log(`alice: ack queued=${ack.queued} messageId=${ack.messageId}${ack.error ? ' error=' + ack.error : ''}`);
const push = await bob.c.next((f) => f.type === 'push' && f.messageId === ack.messageId, 'push');
const plain = new TextDecoder().decode(openDm(push.nonce, push.ciphertext, push.senderPubkey, bob.sessionKp));
console.log(`bob: received from ${push.senderName}: "${plain}"`);
bob.c.send({ type: 'client_ack', clientMessageId: push.client_message_id, brokerMessageId: push.messageId });
setTimeout(() => { alice.c.close(); bob.c.close(); process.exit(0); }, 200);
