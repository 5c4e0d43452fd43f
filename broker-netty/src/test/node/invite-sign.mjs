#!/usr/bin/env node
// Invite signatures made by libsodium, checked by the Java broker's /join (PROTOCOL §9):
//   OWNER_SEED_HEX=<the mesh owner's 32-byte seed, hex> node invite-sign.mjs --link ic://join/<token>
// 1. derives the owner key pair from the seed (crypto_sign_seed_keypair): its public key is the payload's
//    owner_pubkey, and crypto_sign_detached over the canonical string gives the link's signature byte for byte
//    (ed25519 is deterministic);
// 2. POSTs /join with the payload re-signed by libsodium, sent as a JSON *string*: 200;
// 3. a payload signed by another libsodium key that claims to be that key: invite_owner_mismatch (so the
//    broker verified the signature, then compared the owner);
// 4. the genuine owner_pubkey with a signature by another key: invite_bad_signature.
// Success: one JSON line on stdout, exit 0. Failure: "invite-sign FAILED: …" on stderr, exit 1.
import { parseArgs } from 'node:util';
import { sodiumReady, keypair, check, ALNUM32 } from './lib.mjs';
import { parseInviteLink, signInvite, keypairFromSeedHex, wsToHttp, postJoin } from './invite-lib.mjs';

function fail(reason) {
  process.stderr.write(`invite-sign FAILED: ${String(reason).replace(/[A-Za-z0-9_-]{40,}/g, '<redacted>')}\n`);
  process.exit(1);
}

let opts;
try {
  opts = parseArgs({ options: { link: { type: 'string' } }, strict: true }).values;
} catch (e) {
  fail(`bad arguments: ${e.message}`);
}
const seedHex = process.env.OWNER_SEED_HEX;
if (!opts.link || !/^[0-9a-f]{64}$/i.test(seedHex ?? '')) {
  fail('usage: OWNER_SEED_HEX=<64 hex> node invite-sign.mjs --link ic://join/<token>');
}
setTimeout(() => fail('global timeout exceeded'), 20_000);

try {
  await sodiumReady();
  const { payload, token } = await parseInviteLink(opts.link);
  const { signature: _brokerSignature, ...fields } = payload;
  const base = wsToHttp(payload.broker_url);

  // 1. libsodium with the owner's seed reproduces the broker's signature
  const owner = await keypairFromSeedHex(seedHex);
  check(owner.pubHex === payload.owner_pubkey, 'seed does not belong to the payload owner_pubkey');
  const resigned = await signInvite(fields, owner.privateKey);
  check(resigned.signature === payload.signature, 'libsodium signature differs from the broker-made one');

  // 2. the libsodium-signed payload, as a string, is accepted
  const member = keypair();
  const ok = await postJoin(base, { invite_token: token, invite_payload: JSON.stringify(resigned),
    peer_pubkey: member.pubHex, display_name: 'libsodium-signed' });
  check(ok.status === 200 && ok.body.ok === true && ALNUM32.test(ok.body.memberId ?? ''),
    `libsodium-signed join: HTTP ${ok.status} ${JSON.stringify(ok.body)}`);

  // 3. a valid signature by a key that is not the owner's
  const rogue = keypair();
  const rogueSigned = await signInvite({ ...fields, owner_pubkey: rogue.pubHex }, rogue.privateKey);
  const mismatch = await postJoin(base, { invite_token: token, invite_payload: rogueSigned,
    peer_pubkey: keypair().pubHex, display_name: 'rogue' });
  check(mismatch.status === 400 && mismatch.body.error === 'invite_owner_mismatch',
    `rogue owner: HTTP ${mismatch.status} ${JSON.stringify(mismatch.body)}`);

  // 4. the owner's key named, another key's signature
  const forged = await signInvite(fields, rogue.privateKey);
  const bad = await postJoin(base, { invite_token: token, invite_payload: forged,
    peer_pubkey: keypair().pubHex, display_name: 'forger' });
  check(bad.status === 400 && bad.body.error === 'invite_bad_signature',
    `forged signature: HTTP ${bad.status} ${JSON.stringify(bad.body)}`);

  process.stdout.write(`${JSON.stringify({ ok: true, sameSignature: true, memberId: ok.body.memberId,
    rogueOwner: mismatch.body.error, forged: bad.body.error })}\n`);
  process.exit(0);
} catch (e) {
  fail(e.message ?? e);
}
