#!/usr/bin/env node
// The mesh workspace (shared state, memory, tasks: PROTOCOL-MESH §4-§6) driven the two ways the claudemesh CLI
// matches replies (PROTOCOL-MESH §0.2), with the libraries it uses (`ws`, `libsodium-wrappers`). See README.md.
//
//   node workspace.mjs --url ws://127.0.0.1:PORT/ws --admin-url http://127.0.0.1:PORT --admin-token TOKEN
//                      [--timeout-ms 30000]
//
// - Daemon style (the CLI daemon, apps/cli/src/daemon/broker.ts): one long-lived control-plane `hello` socket;
//   replies are matched by `_reqId` only, and only these types resolve: `state_value`/`state_data` (get),
//   `state_list`, `memory_stored` (its `memoryId`), `memory_recall_result` (its `matches`); everything else is
//   ignored. Before the broker sent them, `state get` and `recall` waited for their timeout.
// - Cold-path style (the CLI's BrokerClient, apps/cli/src/services/broker/ws-client.ts): a fresh socket per verb
//   (`hello` with a throwaway session key, one request, close); one pending map per reply type, resolved by `_reqId`
//   or else FIFO; `set_state`, `forget`, `claim_task`, `complete_task` sent without `_reqId` and not awaited; an
//   error frame resolves the first pending request of the first non-empty map with its empty default.
//
// Success: one JSON line on stdout ({"ok":true,...}), exit 0. Failure: "workspace FAILED: <reason>" on stderr,
// exit 1. Never prints keys or signatures.
import { parseArgs } from 'node:util';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import {
  sodiumReady, keypair, buildHello, toHex, randomBytes, MeshClient, AdminApi, check, ALNUM32, WebSocket,
} from './lib.mjs';

const t0 = Date.now();

function redact(s) {
  return String(s).replace(/[0-9a-fA-F]{40,}/g, '<hex>');
}

function fail(reason) {
  process.stderr.write(`workspace FAILED: ${redact(reason)}\n`);
  process.exit(1);
}

let opts;
try {
  opts = parseArgs({
    options: {
      url: { type: 'string' },
      'admin-url': { type: 'string' },
      'admin-token': { type: 'string' },
      'timeout-ms': { type: 'string', default: '30000' },
    },
    strict: true,
  }).values;
} catch (e) {
  fail(`bad arguments: ${e.message}`);
}
if (!opts.url || !opts['admin-url'] || !opts['admin-token']) {
  fail('usage: node workspace.mjs --url ws://HOST:PORT/ws --admin-url http://HOST:PORT --admin-token TOKEN');
}
const globalTimeoutMs = Number(opts['timeout-ms']);
if (!Number.isInteger(globalTimeoutMs) || globalTimeoutMs <= 0) fail('--timeout-ms must be a positive integer');
setTimeout(() => fail(`global timeout of ${globalTimeoutMs} ms exceeded`), globalTimeoutMs);

const REPLY_TIMEOUT_MS = 5000; // the CLI's wait for most requests
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const TIMED_OUT = Symbol('timed out');

/** Opens a socket and authenticates it with a control-plane `hello` (optionally claiming a session key). */
async function helloSocket(name, ctx, { sessionPubkey, sessionId } = {}) {
  const c = await MeshClient.connect(name, opts.url);
  c.send(buildHello({ meshId: ctx.meshId, memberId: ctx.member.id, memberKp: ctx.memberKp, displayName: ctx.name,
    sessionPubkey, sessionId }));
  const ack = await c.next((f) => f.type === 'hello_ack' || f.type === 'error', `${name} hello_ack`);
  check(ack.type === 'hello_ack', `${name}: hello rejected: ${ack.code} (${ack.message})`);
  return c;
}

// ---------------------------------------------------------------- daemon style: match by _reqId only

class DaemonStyleClient {
  constructor(client) {
    this.client = client;
    this.counter = 0;
    this.pending = new Map(); // reqId -> { accepts: Set<type>, pick, resolve, timer }
    this.stray = [];          // frames with a _reqId that no pending request has
    this.changes = [];        // state_change frames
    client.ws.on('message', (data) => this.onFrame(JSON.parse(data.toString('utf8'))));
  }

  onFrame(msg) {
    if (msg.type === 'state_change') {
      this.changes.push(msg);
      return;
    }
    if (msg._reqId === undefined) return;
    const p = this.pending.get(String(msg._reqId));
    if (!p) {
      this.stray.push(msg.type);
      return;
    }
    if (!p.accepts.has(msg.type)) return; // e.g. state_result, memory_results: not what the daemon waits for
    this.pending.delete(String(msg._reqId));
    clearTimeout(p.timer);
    p.resolve(p.pick(msg));
  }

  request(frame, accepts, pick, prefix) {
    const reqId = `${prefix}-${++this.counter}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.pending.delete(reqId); resolve(TIMED_OUT); }, REPLY_TIMEOUT_MS);
      this.pending.set(reqId, { accepts: new Set(accepts), pick, resolve, timer });
      this.client.send({ ...frame, _reqId: reqId });
    });
  }

  // as daemon/broker.ts does
  setState(key, value) { this.client.send({ type: 'set_state', key, value }); }
  getState(key) {
    return this.request({ type: 'get_state', key }, ['state_value', 'state_data'],
      (m) => m.state ?? m.row ?? null, 'sg');
  }
  listState() { return this.request({ type: 'list_state' }, ['state_list'], (m) => m.entries, 'sl'); }
  remember(content, tags) {
    return this.request({ type: 'remember', content, tags }, ['memory_stored'],
      (m) => (typeof m.memoryId === 'string' ? m.memoryId : null), 'mr');
  }
  recall(query) {
    return this.request({ type: 'recall', query }, ['memory_recall_result'],
      (m) => (Array.isArray(m.matches) ? m.matches : []), 'mc');
  }
  // tasks: the daemon has no task calls; a client matching by _reqId only gets its replies the same way
  createTask(title, extra = {}) {
    return this.request({ type: 'create_task', title, ...extra }, ['task_created'], (m) => m.id, 'tc');
  }
  claimTask(taskId) {
    return this.request({ type: 'claim_task', taskId }, ['task_list', 'error'], (m) => m, 'tk');
  }
  listTasks(filters = {}) {
    return this.request({ type: 'list_tasks', ...filters }, ['task_list'], (m) => m.tasks, 'tl');
  }
}

// ---------------------------------------------------------------- cold-path style: per-reply-type FIFO maps

class ColdPathClient {
  constructor(client) {
    this.client = client;
    this.maps = {
      state: new Map(), stateList: new Map(), memoryStore: new Map(), memoryRecall: new Map(),
      taskList: new Map(), taskCreated: new Map(),
    };
    this.fifoFallbacks = 0;
    this.frames = [];
    client.ws.on('message', (data) => this.onFrame(JSON.parse(data.toString('utf8'))));
  }

  static async open(name, ctx) {
    const sessionPubkey = toHex(randomBytes(32)); // a throwaway session key, claimed but not proven (as the CLI)
    const c = await helloSocket(name, ctx, { sessionPubkey, sessionId: `${process.pid}-${Date.now()}` });
    return new ColdPathClient(c);
  }

  makeReqId() {
    return nodeRandomBytes(8).toString('hex') + Date.now().toString(36);
  }

  resolveFromMap(map, reqId, value) {
    let key = reqId !== undefined && map.has(String(reqId)) ? String(reqId) : undefined;
    if (key === undefined) {
      if (map.size === 0) return;
      key = map.keys().next().value; // FIFO: the oldest pending request of this reply type
      this.fifoFallbacks++;
    }
    const entry = map.get(key);
    map.delete(key);
    clearTimeout(entry.timer);
    entry.resolve(value);
  }

  onFrame(msg) {
    this.frames.push(msg);
    const m = this.maps;
    switch (msg.type) {
      case 'state_result':
        this.resolveFromMap(m.state, msg._reqId, msg.key
          ? { key: String(msg.key), value: msg.value, updatedBy: String(msg.updatedBy ?? ''),
            updatedAt: String(msg.updatedAt ?? '') }
          : null);
        break;
      case 'state_list': this.resolveFromMap(m.stateList, msg._reqId, msg.entries ?? []); break;
      case 'memory_stored': this.resolveFromMap(m.memoryStore, msg._reqId, msg.id ? String(msg.id) : null); break;
      case 'memory_results': this.resolveFromMap(m.memoryRecall, msg._reqId, msg.memories ?? []); break;
      case 'task_created': this.resolveFromMap(m.taskCreated, msg._reqId, msg.id ? String(msg.id) : null); break;
      case 'task_list': this.resolveFromMap(m.taskList, msg._reqId, msg.tasks ?? []); break;
      case 'error': {
        // the CLI does not know which request failed: the first waiting one of the first non-empty map, in its order
        const order = [[m.state, null], [m.stateList, []], [m.memoryStore, null], [m.memoryRecall, []],
          [m.taskList, []], [m.taskCreated, null]];
        for (const [map, empty] of order) {
          if (map.size > 0) {
            const [k, entry] = map.entries().next().value;
            map.delete(k);
            clearTimeout(entry.timer);
            entry.resolve({ defaulted: empty, error: msg });
            break;
          }
        }
        break;
      }
      default: break; // state_data, memory_recall_result, state_change, …: not the cold path's business
    }
  }

  wait(map, frame, empty) {
    const reqId = this.makeReqId();
    return new Promise((resolve) => {
      const timer = setTimeout(() => { if (map.delete(reqId)) resolve(TIMED_OUT); }, REPLY_TIMEOUT_MS);
      map.set(reqId, { resolve, timer, empty });
      this.client.send({ ...frame, _reqId: reqId });
    });
  }

  setState(key, value) { this.client.send({ type: 'set_state', key, value }); }
  getState(key) { return this.wait(this.maps.state, { type: 'get_state', key }); }
  listState() { return this.wait(this.maps.stateList, { type: 'list_state' }); }
  remember(content, tags) { return this.wait(this.maps.memoryStore, { type: 'remember', content, tags }); }
  recall(query) { return this.wait(this.maps.memoryRecall, { type: 'recall', query }); }
  forget(memoryId) { this.client.send({ type: 'forget', memoryId }); }
  createTask(title, assignee, priority, tags) {
    return this.wait(this.maps.taskCreated, { type: 'create_task', title, assignee, priority, tags });
  }
  claimTask(id) { this.client.send({ type: 'claim_task', taskId: id }); }
  completeTask(id, result) { this.client.send({ type: 'complete_task', taskId: id, result }); }
  listTasks(status, assignee) { return this.wait(this.maps.taskList, { type: 'list_tasks', status, assignee }); }

  close() { this.client.close(); }
}

/** One CLI verb on the cold path: a fresh socket, one call, close (the socket is closed right after sending). */
async function coldVerb(name, ctx, call) {
  const c = await ColdPathClient.open(name, ctx);
  try {
    return { result: await call(c), client: c };
  } finally {
    c.close();
  }
}

async function main() {
  await sodiumReady();
  const admin = new AdminApi(opts['admin-url'], opts['admin-token']);
  const slug = `workspace-${toHex(randomBytes(6))}`;
  const mesh = await admin.createMesh(slug, slug);
  const meshId = mesh.id;
  const people = {};
  for (const name of ['alice', 'bob']) {
    const memberKp = keypair();
    people[name] = { meshId, name, memberKp, member: await admin.addMember(meshId, memberKp.pubHex, name) };
  }

  // ------------------------------------------------------------ daemon style (alice's daemon)
  const daemon = new DaemonStyleClient(await helloSocket('alice-daemon', people.alice, { sessionId: 'daemon' }));

  daemon.setState('release', { version: '1.5.1', frozen: true });
  const row = await daemon.getState('release');
  check(row !== TIMED_OUT, 'daemon get_state timed out: no state_data');
  check(row && row.key === 'release' && row.value.version === '1.5.1' && row.value.frozen === true,
    `daemon state_data.state is ${JSON.stringify(row)}`);
  check(row.updatedBy === 'alice' && ISO_MS.test(row.updatedAt), 'daemon state_data.state updatedBy/updatedAt');
  const none = await daemon.getState('never-set');
  check(none === null, `daemon get_state of a missing key: ${String(none)} (expected null from state_data)`);
  const entries = await daemon.listState();
  check(Array.isArray(entries) && entries.some((e) => e.key === 'release'), 'daemon state_list lacks release');

  const memoryId = await daemon.remember('staging DB password rotates on Mondays', ['ops', 'db']);
  check(memoryId !== TIMED_OUT, 'daemon remember timed out');
  check(typeof memoryId === 'string' && ALNUM32.test(memoryId), `daemon memory_stored.memoryId is ${String(memoryId)}`);
  const matches = await daemon.recall('rotating passwords');
  check(matches !== TIMED_OUT, 'daemon recall timed out: no memory_recall_result');
  check(matches.length === 1 && matches[0].id === memoryId && matches[0].rememberedBy === 'alice'
    && matches[0].tags.join(',') === 'ops,db', `daemon memory_recall_result.matches: ${JSON.stringify(matches)}`);

  const daemonTask = await daemon.createTask('Fix login flake', { assignee: 'bob', priority: 'high' });
  check(typeof daemonTask === 'string' && ALNUM32.test(daemonTask), 'daemon-style task_created.id');
  const claimed = await daemon.claimTask(daemonTask);
  check(claimed.type === 'task_list' && claimed.tasks.some((t) => t.id === daemonTask && t.claimedBy === 'alice'),
    `daemon-style claim answer: ${JSON.stringify(claimed)}`);
  const again = await daemon.claimTask(daemonTask);
  check(again.type === 'error' && again.code === 'task_not_claimable', 'second claim is not task_not_claimable');
  const daemonTasks = await daemon.listTasks({ status: 'claimed' });
  check(daemonTasks.length === 1 && daemonTasks[0].id === daemonTask, 'daemon-style list_tasks status filter');

  // ------------------------------------------------------------ cold path (bob's CLI verbs)
  // `state set` (fire and forget, socket closed at once); alice's daemon hears the state_change
  await coldVerb('bob-state-set', people.bob, async (c) => c.setState('release', { version: '1.6.0' }));
  await new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (daemon.changes.some((ch) => ch.key === 'release' && ch.value.version === '1.6.0' && ch.updatedBy === 'bob')) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() - started > REPLY_TIMEOUT_MS) {
        clearInterval(poll);
        reject(new Error('alice\'s daemon got no state_change for bob\'s cold-path state set'));
      }
    }, 20);
  });
  check(daemon.changes.every((ch) => ch.updatedBy !== 'alice'), 'the writer\'s own lease got its state_change');

  const got = (await coldVerb('bob-state-get', people.bob, (c) => c.getState('release'))).result;
  check(got !== TIMED_OUT && got && got.value.version === '1.6.0' && got.updatedBy === 'bob',
    `cold-path state get: ${JSON.stringify(got)}`);
  const notSet = (await coldVerb('bob-state-get2', people.bob, (c) => c.getState('never-set'))).result;
  check(notSet === null, `cold-path state get of a missing key: ${JSON.stringify(notSet)} (expected "not set")`);
  const listed = (await coldVerb('bob-state-list', people.bob, (c) => c.listState())).result;
  check(Array.isArray(listed) && listed.length === 1 && listed[0].key === 'release', 'cold-path state list');

  // one long-lived cold-path client: a set then a get on one socket; the get is not answered by anything of the set
  const longLived = await ColdPathClient.open('bob-long', people.bob);
  longLived.setState('counter', 41);
  longLived.setState('counter', 42);
  const counter = await longLived.getState('counter');
  check(counter && counter.value === 42, `get after set on one socket: ${JSON.stringify(counter)}`);
  await longLived.client.nextType('state_data'); // the daemon's copy follows state_result; the cold path ignores it
  const replies = longLived.frames.filter((f) => f.type !== 'push').map((f) => f.type);
  check(replies.join(',') === 'state_result,state_data', `set, set, get on one socket were answered: ${replies}`);

  const coldMemory = (await coldVerb('bob-remember', people.bob,
    (c) => c.remember('the deploy runs from CI every night', ['ci']))).result;
  check(typeof coldMemory === 'string' && ALNUM32.test(coldMemory), 'cold-path memory_stored.id');
  const recalled = (await coldVerb('bob-recall', people.bob, (c) => c.recall('deploying'))).result;
  check(Array.isArray(recalled) && recalled.length === 1 && recalled[0].id === coldMemory, 'cold-path recall');
  await coldVerb('bob-forget', people.bob, async (c) => c.forget(coldMemory));
  const afterForget = (await coldVerb('bob-recall2', people.bob, (c) => c.recall('deploying'))).result;
  check(Array.isArray(afterForget) && afterForget.length === 0, 'a forgotten memory is still recalled');

  // an error answers the waiting request at once (the CLI's empty default), it does not leave it to time out
  const bad = await longLived.remember('', ['ops']);
  check(bad !== TIMED_OUT && bad.defaulted === null && bad.error.code === 'bad_request'
    && bad.error._reqId !== undefined, `empty remember: ${JSON.stringify(bad)}`);

  const coldTask = (await coldVerb('bob-task-create', people.bob,
    (c) => c.createTask('Write the release notes', undefined, undefined, ['docs']))).result;
  check(typeof coldTask === 'string' && ALNUM32.test(coldTask), 'cold-path task_created.id');
  await coldVerb('bob-task-claim', people.bob, async (c) => c.claimTask(coldTask));
  // claim is fire and forget: read the result back the way the CLI user would, with `task list`
  let open = [];
  // with back-off: every cold verb leaves a grace lease for 90 s and grace leases count toward the mesh's
  // capacity (PROTOCOL §5), so a tight loop on a slow machine would fill the mesh with this test's own leases
  const claimDeadline = Date.now() + REPLY_TIMEOUT_MS;
  let pause = 50;
  for (;;) {
    open = (await coldVerb('bob-task-list', people.bob, (c) => c.listTasks(undefined, undefined))).result;
    if (open.some((t) => t.id === coldTask && t.status === 'claimed') || Date.now() >= claimDeadline) break;
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 1000);
  }
  const mine = open.find((t) => t.id === coldTask);
  check(mine && mine.status === 'claimed' && mine.claimedBy === 'bob' && mine.priority === 'normal'
    && mine.tags.join(',') === 'docs', `cold-path task list after claim: ${JSON.stringify(mine)}`);
  check(open.length === 2 && open[0].id === coldTask, 'task list is not newest first');
  const doneList = await longLived.listTasks('done', undefined);
  check(Array.isArray(doneList) && doneList.length === 0, 'done filter');
  // `task complete` on its own socket: its task_list reply (no _reqId) must not meet a pending list_tasks, which the
  // CLI would resolve with it FIFO (PROTOCOL-MESH §6.6)
  await coldVerb('bob-task-complete', people.bob, async (c) => c.completeTask(coldTask, 'shipped'));
  let done = [];
  const doneDeadline = Date.now() + REPLY_TIMEOUT_MS;
  for (;;) {
    done = await longLived.listTasks('done', undefined);
    if (done.length > 0 || Date.now() >= doneDeadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  check(done.length === 1 && done[0].id === coldTask && done[0].status === 'done', 'complete_task then list done');
  longLived.close();

  check(daemon.stray.length === 0, `daemon-style client got replies nobody asked for: ${daemon.stray}`);
  check(longLived.fifoFallbacks === 0, `replies resolved FIFO instead of by _reqId: ${longLived.fifoFallbacks}`);
  daemon.client.close();

  process.stdout.write(JSON.stringify({
    ok: true, meshId,
    daemon: { stateData: true, notFoundNull: true, memoryId, recallMatches: matches.length, taskId: daemonTask },
    coldPath: { stateValue: got.value.version, notSet: true, memoryId: coldMemory, taskId: coldTask,
      claimedBy: mine.claimedBy, fifoFallbacks: longLived.fifoFallbacks },
    elapsedMs: Date.now() - t0,
  }) + '\n');
  process.exit(0);
}

main().catch((e) => fail(e?.stack ?? e?.message ?? e));
