// The node view: the broker's own figures (GET /admin/node), refreshed every two seconds.
import { api } from './api.js';
import { age, badge, h, message } from './dom.js';

const REFRESH_MS = 2000;

function stat(id, label) {
  const dd = h('dd', { id }, '…');
  return [h('div', { class: 'stat' }, h('dt', {}, label), dd), dd];
}

export function renderNode(main, ctx) {
  const fields = {};
  const cells = [
    ['node-db', 'Database'], ['node-uptime', 'Uptime'], ['node-version', 'Version'],
    ['node-connections', 'Connections'], ['node-dms', 'Messages routed / s'], ['node-pushes', 'Pushes / s'],
    ['node-queue', 'DMs held'], ['node-meshes', 'Meshes in memory'], ['node-backlog', 'Writer backlog'],
    ['node-latency', 'Last commit latency'], ['node-committed', 'Ops committed'], ['node-failed', 'Failed commits'],
  ].map(([id, label]) => {
    const [box, dd] = stat(id, label);
    fields[id] = dd;
    return box;
  });
  const msg = h('p', { class: 'msg', id: 'node-msg' });
  main.replaceChildren(h('h1', {}, 'Node'), h('dl', { id: 'node', class: 'grid' }, cells), msg,
    h('p', { class: 'muted' }, 'Rates are over the interval since the previous sample (at least one second). '
      + 'The same figures are on /metrics for Prometheus.'));

  let stopped = false;
  async function load() {
    try {
      const n = await api('GET', '/admin/node');
      if (stopped) {
        return;
      }
      message(msg, '');
      fields['node-db'].replaceChildren(badge(n.database, n.database));
      fields['node-uptime'].textContent = age(n.uptimeS * 1000);
      fields['node-version'].textContent = n.version + (n.gitSha ? ' (' + n.gitSha.slice(0, 10) + ')' : '');
      fields['node-connections'].textContent = String(n.connections);
      fields['node-dms'].textContent = String(n.messagesRoutedPerSec);
      fields['node-pushes'].textContent = String(n.pushesPerSec);
      fields['node-queue'].textContent = String(n.queueDepth);
      fields['node-meshes'].textContent = String(n.meshesInMemory);
      fields['node-backlog'].textContent = String(n.writer.backlog);
      fields['node-latency'].textContent = (n.writer.lastCommitLatencyMicros / 1000).toFixed(1) + ' ms';
      fields['node-committed'].textContent = String(n.writer.committedOps);
      fields['node-failed'].textContent = String(n.writer.failedAttempts);
    } catch (err) {
      if (!ctx.fail(err) && !stopped) {
        message(msg, 'Could not read the node\'s figures: ' + err.message, 'error');
      }
    }
  }
  load();
  const timer = setInterval(load, REFRESH_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
