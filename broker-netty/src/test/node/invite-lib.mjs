// Invite links (claudemesh `ic://join/<token>`, invite v1, PROTOCOL §9) the way the claudemesh CLI
// handles them (src/invite/parse.ts, src/invite/enroll.ts): token extraction, base64url decoding,
// shape checks, ed25519 verification of the canonical string with crypto_sign_verify_detached, and
// the POST /join enrolment. Uses libsodium-wrappers through lib.mjs.
import { sodiumReady, fromHex, toHex } from './lib.mjs';

const HEX64_I = /^[0-9a-f]{64}$/i;
const HEX128_I = /^[0-9a-f]{128}$/i;

/** The string the mesh owner key signs (the CLI's canonicalInvite()). */
export function canonicalInvite(p) {
  return `${p.v}|${p.mesh_id}|${p.mesh_slug}|${p.broker_url}|${p.expires_at}|${p.mesh_root_key}|${p.role}|${p.owner_pubkey}`;
}

/** The base64url token of `ic://join/<token>`, `https://host[/xx]/join/<token>` or a raw token (CLI rules). */
export function extractInviteToken(input) {
  const trimmed = input.trim();
  if (trimmed.startsWith('ic://join/')) {
    const token = trimmed.slice('ic://join/'.length).replace(/\/$/, '');
    if (!token) throw new Error('invite link has no payload');
    return token;
  }
  const https = trimmed.match(/^https?:\/\/[^/]+(?:\/[a-z]{2})?\/join\/([A-Za-z0-9_-]+)\/?$/);
  if (https) return https[1];
  if (/^[A-Za-z0-9_-]+$/.test(trimmed) && trimmed.length > 20) return trimmed;
  throw new Error('invalid invite format');
}

/** base64url (no padding) of the UTF-8 JSON of `payload`, as the broker and the CLI encode it. */
export function encodeToken(payload) {
  return Buffer.from(JSON.stringify(payload), 'utf-8').toString('base64url');
}

/** The CLI's payload shape check (its zod schema), minus the expiry, which parseInviteLink checks. */
function checkShape(p) {
  const problems = [];
  if (p === null || typeof p !== 'object') return ['not an object'];
  if (p.v !== 1) problems.push('v');
  for (const k of ['mesh_id', 'mesh_slug', 'broker_url', 'mesh_root_key']) {
    if (typeof p[k] !== 'string' || p[k].length === 0) problems.push(k);
  }
  if (!Number.isInteger(p.expires_at) || p.expires_at <= 0) problems.push('expires_at');
  if (p.role !== 'admin' && p.role !== 'member') problems.push('role');
  if (typeof p.owner_pubkey !== 'string' || !HEX64_I.test(p.owner_pubkey)) problems.push('owner_pubkey');
  if (typeof p.signature !== 'string' || !HEX128_I.test(p.signature)) problems.push('signature');
  return problems;
}

/**
 * Parses and verifies an invite link exactly as `claudemesh join` does before enrolling; throws on a
 * malformed, expired or badly signed invite. Returns { payload, token }.
 */
export async function parseInviteLink(link) {
  const s = await sodiumReady();
  const token = extractInviteToken(link);
  const json = Buffer.from(token, 'base64url').toString('utf-8');
  const payload = JSON.parse(json);
  const problems = checkShape(payload);
  if (problems.length) throw new Error(`invite link shape invalid: ${problems.join(', ')}`);
  const nowSeconds = Math.floor(Date.now() / 1000);
  if (payload.expires_at < nowSeconds) throw new Error('invite expired');
  let ok = false;
  try {
    ok = s.crypto_sign_verify_detached(s.from_hex(payload.signature), s.from_string(canonicalInvite(payload)),
      s.from_hex(payload.owner_pubkey));
  } catch {
    ok = false;
  }
  if (!ok) throw new Error('invite signature invalid (link tampered?)');
  return { payload, token };
}

/** Signs `fields` (a payload without signature) with a 64-byte libsodium secret key; returns the payload. */
export async function signInvite(fields, privateKey) {
  const s = await sodiumReady();
  const signature = toHex(s.crypto_sign_detached(s.from_string(canonicalInvite(fields)), privateKey));
  return { ...fields, signature };
}

/** The owner key pair of a 32-byte seed given as hex (libsodium crypto_sign_seed_keypair). */
export async function keypairFromSeedHex(seedHex) {
  const s = await sodiumReady();
  const kp = s.crypto_sign_seed_keypair(fromHex(seedHex));
  return { publicKey: kp.publicKey, privateKey: kp.privateKey, pubHex: toHex(kp.publicKey) };
}

/** The broker's HTTP base of a ws(s) URL (the CLI's wsToHttp). */
export function wsToHttp(wsUrl) {
  const u = new URL(wsUrl);
  return `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}`;
}

/** POST /join; resolves to { status, body } whatever the status. */
export async function postJoin(httpBase, body) {
  const res = await fetch(`${httpBase}/join`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: await res.json() };
}
