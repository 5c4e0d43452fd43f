#!/usr/bin/env node
// DEVELOPMENT AID ONLY — NOT the broker and NOT used by the Java tests.
// A tiny in-memory stand-in for the claudemesh broker that implements just enough of PROTOCOL.md
// (admin mesh/member creation, session_hello with real signature checks, send -> ack -> push,
// client_ack, list_peers, "*" broadcast, peer_joined) to self-test interop.mjs end to end:
//
//   node mockbroker.mjs --port 7999 --admin-token secret     (prints "listening <port>")
import http from 'node:http';
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';
import { sodiumReady, verifyHex, HEX64 } from './lib.mjs';

const { port, 'admin-token': adminToken } = parseArgs({
  options: { port: { type: 'string', default: '0' }, 'admin-token': { type: 'string', default: 'secret' } },
}).values;
await sodiumReady();

const AN = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const genId = () => Array.from({ length: 32 }, () => AN[randomInt(AN.length)]).join('');
const meshes = new Map();   // id -> {id,name,slug,members: Map(id -> member)}
const leases = new Set();   // {ws, meshId, member, sessionPubkey, presenceId, displayName, sessionId, cwd, groups, connectedAt}
const pending = new Map();  // messageId -> lease (claimed, awaiting client_ack)

const server = http.createServer(async (req, res) => {
  const reply = (code, body) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
  if (req.method !== 'POST' || !req.url.startsWith('/admin/')) return reply(404, { error: 'not found' });
  if (req.headers.authorization !== `Bearer ${adminToken}`) return reply(401, { error: 'unauthorized' });
  let body = '';
  for await (const c of req) body += c;
  try { body = JSON.parse(body); } catch { return reply(400, { error: 'bad json' }); }
  let m;
  if (req.url === '/admin/meshes') {
    const mesh = { id: genId(), name: body.name, slug: body.slug, members: new Map() };
    meshes.set(mesh.id, mesh);
    return reply(201, { id: mesh.id, name: mesh.name, slug: mesh.slug });
  } else if ((m = req.url.match(/^\/admin\/meshes\/([^/]+)\/members$/))) {
    const mesh = meshes.get(m[1]);
    if (!mesh) return reply(404, { error: 'not found' });
    if ([...mesh.members.values()].some((x) => x.pubkey === body.pubkey)) return reply(409, { error: 'duplicate' });
    const member = { id: genId(), meshId: mesh.id, pubkey: body.pubkey, displayName: body.displayName };
    mesh.members.set(member.id, member);
    return reply(201, member);
  }
  return reply(404, { error: 'not found' });
});

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, sock, head) => {
  if (new URL(req.url, 'http://x').pathname !== '/ws') { sock.end('HTTP/1.1 404 Not Found\r\n\r\n'); return; }
  wss.handleUpgrade(req, sock, head, (ws) => onConnection(ws));
});

const send = (ws, o) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(o));

function sessionHelloError(f) {
  const a = f.parentAttestation, now = Date.now();
  if (!HEX64.test(f.sessionPubkey ?? '')) return 'bad_session_pubkey';
  if (!HEX64.test(f.parentMemberPubkey ?? '')) return 'bad_parent_pubkey';
  if (!a || a.sessionPubkey !== f.sessionPubkey || a.parentMemberPubkey !== f.parentMemberPubkey) return 'attestation_mismatch';
  if (!Number.isInteger(a.expiresAt)) return 'malformed';
  if (a.expiresAt <= now) return 'expired';
  if (a.expiresAt > now + 86_400_000) return 'ttl_too_long';
  if (!/^[0-9a-fA-F]{128}$/.test(a.signature ?? '')) return 'malformed';
  if (!verifyHex(`claudemesh-session-attest|${f.parentMemberPubkey}|${f.sessionPubkey}|${a.expiresAt}`, a.signature, f.parentMemberPubkey)) return 'bad_signature';
  if (!Number.isInteger(f.timestamp) || Math.abs(f.timestamp - now) > 60_000) return 'timestamp_skew';
  if (!/^[0-9a-fA-F]{128}$/.test(f.signature ?? '')) return 'malformed';
  if (!verifyHex(`claudemesh-session-hello|${f.meshId}|${f.parentMemberPubkey}|${f.sessionPubkey}|${f.timestamp}`, f.signature, f.sessionPubkey)) return 'bad_signature';
  const member = [...(meshes.get(f.meshId)?.members.values() ?? [])].find((x) => x.pubkey === f.parentMemberPubkey);
  if (!member) return 'unauthorized';
  if (member.id !== f.parentMemberId) return 'parent_member_id_mismatch';
  return null;
}

function onConnection(ws) {
  let lease = null;
  ws.on('close', () => { if (lease) leases.delete(lease); });
  ws.on('message', (data) => {
    let f;
    try { f = JSON.parse(data.toString('utf8')); } catch { return send(ws, { type: 'error', code: 'bad_request', message: 'bad json' }); }
    if (!lease) {
      if (f.type !== 'session_hello') return send(ws, { type: 'error', code: 'no_hello', message: 'must send hello first' });
      const code = sessionHelloError(f);
      if (code) { send(ws, { type: 'error', code, message: `session_hello rejected: ${code}` }); return ws.close(1008, code); }
      const member = [...meshes.get(f.meshId).members.values()].find((x) => x.pubkey === f.parentMemberPubkey);
      lease = { ws, meshId: f.meshId, member, sessionPubkey: f.sessionPubkey, presenceId: genId(), displayName: f.displayName,
        sessionId: f.sessionId, cwd: f.cwd, groups: f.groups ?? [], connectedAt: new Date().toISOString() };
      leases.add(lease);
      send(ws, { type: 'hello_ack', presenceId: lease.presenceId, memberDisplayName: member.displayName,
        memberProfile: { roleTag: null, groups: [], messageMode: 'push' } });
      for (const l of leases) {
        if (l !== lease && l.meshId === lease.meshId) {
          send(l.ws, { type: 'push', subtype: 'system', event: 'peer_joined', messageId: genId(), meshId: l.meshId,
            senderPubkey: 'system', priority: 'low', nonce: '', ciphertext: '', createdAt: new Date().toISOString(),
            eventData: { name: lease.displayName, pubkey: lease.sessionPubkey, groups: lease.groups } });
        }
      }
      return;
    }
    const meshLeases = [...leases].filter((l) => l.meshId === lease.meshId);
    switch (f.type) {
      case 'send': {
        const bad = (error) => send(ws, { type: 'ack', id: f.id, messageId: '', queued: false, error });
        if (typeof f.id !== 'string') return bad('invalid: missing id');
        if (!f.targetSpec) return bad('invalid: missing targetSpec');
        const priority = f.priority ?? 'next';
        if (!['now', 'next', 'low'].includes(priority)) return bad('invalid: unknown priority');
        const base = { type: 'push', messageId: genId(), meshId: lease.meshId, senderPubkey: lease.sessionPubkey, priority,
          nonce: f.nonce, ciphertext: f.ciphertext, createdAt: new Date().toISOString(), senderName: lease.displayName };
        if (f.client_message_id !== undefined) base.client_message_id = f.client_message_id;
        if (f.targetSpec === '*' || f.targetSpec === '@all') {
          for (const l of meshLeases) if (l.member.id !== lease.member.id) {
            send(l.ws, { ...base, senderMemberPubkey: lease.member.pubkey, senderMemberId: lease.member.id });
          }
        } else {
          const t = meshLeases.find((l) => l !== lease && (l.sessionPubkey === f.targetSpec || l.member.pubkey === f.targetSpec));
          if (!t) return bad('no connected peer for target (not online, or targetSpec is your own key without another session)');
          pending.set(base.messageId, t);
          send(t.ws, base);
        }
        return send(ws, { type: 'ack', id: f.id, messageId: base.messageId, queued: true });
      }
      case 'client_ack':
        if (pending.get(f.brokerMessageId) === lease) pending.delete(f.brokerMessageId);
        return;
      case 'list_peers':
        return send(ws, { type: 'peers_list', _reqId: f._reqId, peers: meshLeases.map((l) => ({
          pubkey: l.sessionPubkey, memberPubkey: l.member.pubkey, displayName: l.displayName, status: 'idle', summary: null,
          groups: l.groups, sessionId: l.sessionId, connectedAt: l.connectedAt, cwd: l.cwd, peerRole: 'session' })) });
      case 'session_hello': case 'hello':
        return send(ws, { type: 'error', code: 'already_authenticated', message: 'already authenticated' });
      default:
        return send(ws, { type: 'error', code: 'unknown_message_type', message: `unknown type ${f.type}`,
          ...(f._reqId !== undefined ? { _reqId: f._reqId } : {}) });
    }
  });
}

server.listen(Number(port), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
