// One mesh: its queue figures, live peers (server-sent events read with fetch), members (enrol, role, kick,
// revoke, unban), invites (create with the link, the join command and a QR code; revoke), audit-chain
// verification and deletion.
import { api, stream } from './api.js';
import { age, badge, copy, h, message, shortKey, when } from './dom.js';
import qrcode from './vendor/qrcode.js';

const REFRESH_MS = 3000;
const EXPIRY_CHOICES = [['3600', '1 hour'], ['86400', '1 day'], ['604800', '7 days'], ['2592000', '30 days']];

export function renderMesh(main, ctx, meshId) {
  const base = '/admin/meshes/' + meshId;
  let stopped = false;
  const abort = new AbortController();

  // ---------------------------------------------------------------- header, queue, audit, delete
  const title = h('h1', { id: 'mesh-title' }, 'Mesh');
  const subtitle = h('span', { class: 'muted mono', id: 'mesh-id' }, meshId);
  const depth = h('dd', { id: 'queue-depth' }, '…');
  const oldest = h('dd', { id: 'queue-oldest' }, '…');
  const livePeers = h('dd', { id: 'mesh-live-peers' }, '…');
  const auditResult = h('p', { id: 'audit-result', class: 'msg', role: 'status' });
  const headMsg = h('p', { class: 'msg', id: 'mesh-msg' });
  const verify = h('button', { type: 'button', id: 'verify-audit', class: 'secondary', onclick: async () => {
    message(auditResult, 'Verifying…');
    try {
      const v = await api('GET', base + '/audit/verify');
      message(auditResult, v.ok ? 'Audit chain intact: ' + v.events + ' events re-hashed.'
        : 'Audit chain BROKEN at event ' + v.brokenAt + ' (' + v.events + ' events).', v.ok ? 'ok' : 'error');
    } catch (err) {
      if (!ctx.fail(err)) {
        message(auditResult, 'Not verified: ' + err.message, 'error');
      }
    }
  } }, 'Verify audit chain');
  const del = h('button', { type: 'button', id: 'delete-mesh', class: 'danger', onclick: async () => {
    if (!window.confirm('Delete this mesh and everything of it (members, invites, messages, audit log)? '
      + 'Its peers are disconnected. This cannot be undone.')) {
      return;
    }
    try {
      await api('DELETE', base);
      ctx.go('#/meshes');
    } catch (err) {
      if (!ctx.fail(err)) {
        message(headMsg, 'Not deleted: ' + err.message, 'error');
      }
    }
  } }, 'Delete mesh');

  // ---------------------------------------------------------------- live peers
  const peersBody = h('tbody', {}, h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'Connecting…')));
  const peersState = h('span', { id: 'peers-state', class: 'badge' }, 'connecting');
  const peersTable = h('table', { id: 'peers' }, h('thead', {}, h('tr', {}, h('th', {}, 'Peer'), h('th', {}, 'Kind'),
    h('th', {}, 'Status'), h('th', {}, 'Summary'), h('th', {}, 'Groups'), h('th', {}, 'Connected'),
    h('th', {}, 'Socket'))), peersBody);

  function showPeers(peers) {
    livePeers.textContent = String(peers.filter((p) => p.live).length);
    if (peers.length === 0) {
      peersBody.replaceChildren(h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No peer connected.')));
      return;
    }
    peersBody.replaceChildren(...peers.map((p) => h('tr', { class: 'peer', dataset: { pubkey: p.pubkey,
      memberId: p.memberId, live: String(p.live) } },
    h('td', {}, h('div', { class: 'peer-name' }, p.displayName || '(unnamed)'),
      h('div', { class: 'muted mono', title: p.pubkey }, shortKey(p.pubkey))),
    h('td', {}, p.peerRole === 'control-plane' ? 'control plane' : 'session'),
    h('td', {}, badge(p.status)),
    h('td', { class: 'peer-summary' }, p.summary || ''),
    h('td', {}, (p.groups || []).map((g) => g.name + (g.role ? ':' + g.role : '')).join(', ')),
    h('td', { title: p.connectedAt }, age(p.connectedAt) + ' ago'),
    h('td', {}, p.live ? badge('live') : badge('grace')))));
  }

  async function followPeers() {
    let delayMs = 500;
    while (!stopped) {
      try {
        await stream(base + '/peers/stream', (event, data) => {
          if (event === 'peers') {
            peersState.textContent = 'live';
            peersState.className = 'badge live';
            delayMs = 500;
            showPeers(JSON.parse(data));
            loadMembers();
          } else if (event === 'deleted') {
            stopped = true;
            message(headMsg, 'This mesh was deleted.', 'error');
          }
        }, abort.signal);
      } catch (err) {
        if (stopped || err.name === 'AbortError') {
          return;
        }
        if (ctx.fail(err)) {
          return;
        }
        if (err.status === 404) {
          message(headMsg, 'No such mesh.', 'error');
          return;
        }
      }
      if (stopped) {
        return;
      }
      peersState.textContent = 'reconnecting';
      peersState.className = 'badge grace';
      await new Promise((r) => setTimeout(r, delayMs));
      delayMs = Math.min(delayMs * 2, 10000);
    }
  }

  // ---------------------------------------------------------------- members
  const membersBody = h('tbody');
  const membersMsg = h('p', { class: 'msg', id: 'members-msg', role: 'status' });
  const membersTable = h('table', { id: 'members' }, h('thead', {}, h('tr', {}, h('th', {}, 'Member'),
    h('th', {}, 'Role'), h('th', {}, 'State'), h('th', {}, 'Sockets'), h('th', {}, ''))), membersBody);

  async function act(label, call) {
    try {
      await call();
      message(membersMsg, label, 'ok');
      loadMembers();
    } catch (err) {
      if (!ctx.fail(err)) {
        message(membersMsg, 'Failed: ' + err.message, 'error');
      }
    }
  }

  function memberRow(m) {
    const role = h('select', { class: 'member-role', 'aria-label': 'role of ' + m.displayName, disabled: m.revoked,
      onchange: () => act(m.displayName + ' is now ' + role.value + '.',
        () => api('POST', base + '/members/' + m.id + '/role', { role: role.value })) },
    h('option', { value: 'member', selected: m.role === 'member' }, 'member'),
    h('option', { value: 'admin', selected: m.role === 'admin' }, 'admin'));
    const actions = m.revoked
      ? [h('button', { type: 'button', class: 'secondary unban', onclick: () => act(m.displayName + ' unbanned.',
        () => api('POST', base + '/members/' + m.id + '/unban')) }, 'Unban')]
      : [h('button', { type: 'button', class: 'secondary kick', disabled: m.leases === 0,
        onclick: () => act(m.displayName + ' kicked.', () => api('POST', base + '/members/' + m.id + '/kick')) },
      'Kick'),
      h('button', { type: 'button', class: 'danger revoke', onclick: () => act(m.displayName + ' revoked.',
        () => api('POST', base + '/members/' + m.id + '/revoke')) }, 'Revoke')];
    return h('tr', { class: 'member', dataset: { memberId: m.id, revoked: String(m.revoked) } },
      h('td', {}, h('div', { class: 'member-name' }, m.displayName, m.roleTag ? ' · ' + m.roleTag : ''),
        h('div', { class: 'muted mono', title: m.pubkey }, shortKey(m.pubkey))),
      h('td', {}, role),
      h('td', { class: 'member-state' }, m.revoked ? badge('revoked') : badge('active')),
      h('td', {}, String(m.leases)),
      h('td', {}, h('div', { class: 'row-actions' }, actions)));
  }

  let membersLoading = false;
  let membersSeen = null;
  async function loadMembers() {
    if (membersLoading || stopped) {
      return;
    }
    membersLoading = true;
    try {
      const members = await api('GET', base + '/members');
      const seen = JSON.stringify(members);
      if (seen === membersSeen) {
        return; // unchanged: keep the rows (and any button the operator is about to press)
      }
      if (membersSeen !== null && members.length !== JSON.parse(membersSeen).length) {
        loadInvites(); // a member joined (or was deleted): an invite's use count changed with it
      }
      membersSeen = seen;
      membersBody.replaceChildren(...(members.length ? members.map(memberRow)
        : [h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No member yet: create an invite or enrol a key.'))]));
    } catch (err) {
      if (!ctx.fail(err)) {
        message(membersMsg, 'Could not list members: ' + err.message, 'error');
      }
    } finally {
      membersLoading = false;
    }
  }

  const newKey = h('input', { id: 'member-pubkey', required: true, placeholder: '64 hex', size: 40 });
  const newName = h('input', { id: 'member-name', required: true, placeholder: 'alice' });
  const newRole = h('select', { id: 'member-role' }, h('option', { value: 'member' }, 'member'),
    h('option', { value: 'admin' }, 'admin'));
  const addForm = h('form', { id: 'add-member', class: 'inline', onsubmit: (e) => {
    e.preventDefault();
    act('Enrolled ' + newName.value.trim() + '.', async () => {
      await api('POST', base + '/members', { pubkey: newKey.value.trim(), displayName: newName.value.trim(),
        role: newRole.value });
      newKey.value = '';
      newName.value = '';
    });
  } }, h('label', {}, 'Public key', newKey), h('label', {}, 'Name', newName), h('label', {}, 'Role', newRole),
  h('button', { type: 'submit', id: 'add-member-submit' }, 'Enrol'));

  // ---------------------------------------------------------------- invites
  const invitesBody = h('tbody');
  const invitesMsg = h('p', { class: 'msg', id: 'invites-msg', role: 'status' });
  const inviteResult = h('div', { id: 'invite-result', class: 'invite-result', hidden: true });
  const maxUses = h('input', { id: 'invite-max-uses', type: 'number', min: 1, max: 1000000, value: 1, required: true });
  const expiry = h('select', { id: 'invite-expiry' },
    EXPIRY_CHOICES.map(([v, label]) => h('option', { value: v, selected: v === '604800' }, label)));
  const inviteRole = h('select', { id: 'invite-role' }, h('option', { value: 'member' }, 'member'),
    h('option', { value: 'admin' }, 'admin'));

  function showInvite(link) {
    const command = 'claudemesh join ' + link;
    const linkEl = h('code', { id: 'invite-link' }, link);
    const commandEl = h('code', { id: 'invite-command' }, command);
    const copied = h('span', { class: 'msg ok', id: 'copy-msg' });
    const copyButton = (text, el, id) => h('button', { type: 'button', class: 'secondary copy', id,
      onclick: async () => message(copied, (await copy(text, el)) ? 'Copied.' : 'Selected: press Ctrl+C.', 'ok') },
    'Copy');
    const qr = qrcode(0, 'L');
    qr.addData(link);
    qr.make();
    const img = h('img', { id: 'invite-qr', alt: 'QR code of the invite link', src: qr.createDataURL(3, 4) });
    inviteResult.replaceChildren(img, h('div', { class: 'lines' },
      h('div', {}, 'Invite link ', copyButton(link, linkEl, 'copy-link')), linkEl,
      h('div', {}, 'Or run ', copyButton(command, commandEl, 'copy-command')), commandEl, copied,
      h('p', { class: 'muted' }, 'The link carries the mesh key: share it only with whom you invite.')));
    inviteResult.hidden = false;
  }

  const inviteForm = h('form', { id: 'create-invite', class: 'inline', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const inv = await api('POST', base + '/invites', { maxUses: Number(maxUses.value),
        expiresInS: Number(expiry.value), role: inviteRole.value });
      message(invitesMsg, 'Invite created.', 'ok');
      showInvite(inv.link);
      loadInvites();
    } catch (err) {
      if (!ctx.fail(err)) {
        message(invitesMsg, 'Not created: ' + err.message, 'error');
      }
    }
  } }, h('label', {}, 'Uses', maxUses), h('label', {}, 'Expires in', expiry), h('label', {}, 'Role', inviteRole),
  h('button', { type: 'submit', id: 'create-invite-submit' }, 'Create invite'));

  let invitesSeen = null;
  async function loadInvites() {
    try {
      const invites = await api('GET', base + '/invites');
      const seen = JSON.stringify(invites);
      if (seen === invitesSeen) {
        return;
      }
      invitesSeen = seen;
      invitesBody.replaceChildren(...(invites.length ? invites.map((i) => h('tr', { class: 'invite',
        dataset: { inviteId: i.id, state: i.state } },
      h('td', { class: 'mono' }, i.id.slice(0, 8) + '…'), h('td', {}, i.role),
      h('td', {}, i.usedCount + ' / ' + i.maxUses), h('td', { title: i.expiresAt }, when(i.expiresAt)),
      h('td', {}, badge(i.state.replace('_', ' '), i.state)),
      h('td', {}, h('div', { class: 'row-actions' },
        i.state === 'active' ? h('button', { type: 'button', class: 'secondary show-invite',
          onclick: () => showInvite(i.link) }, 'Show') : null,
        i.revoked ? null : h('button', { type: 'button', class: 'danger revoke-invite', onclick: async () => {
          try {
            await api('POST', base + '/invites/' + i.id + '/revoke');
            message(invitesMsg, 'Invite revoked.', 'ok');
            loadInvites();
          } catch (err) {
            if (!ctx.fail(err)) {
              message(invitesMsg, 'Not revoked: ' + err.message, 'error');
            }
          }
        } }, 'Revoke')))))
        : [h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No invite yet.'))]));
    } catch (err) {
      if (!ctx.fail(err)) {
        message(invitesMsg, 'Could not list invites: ' + err.message, 'error');
      }
    }
  }

  // ---------------------------------------------------------------- mesh figures
  async function loadMesh() {
    try {
      const m = await api('GET', base);
      if (stopped) {
        return;
      }
      title.textContent = m.name;
      subtitle.textContent = m.slug + ' · ' + m.id;
      depth.textContent = String(m.queue.depth) + (m.queue.claimed ? ' (' + m.queue.claimed + ' awaiting ack)' : '');
      oldest.textContent = m.queue.oldestUndeliveredAt ? age(m.queue.oldestUndeliveredAgeMs) : '—';
    } catch (err) {
      if (ctx.fail(err)) {
        return;
      }
      if (err.status === 404) {
        stopped = true;
        message(headMsg, 'No such mesh (it may have been deleted).', 'error');
      } else {
        message(headMsg, 'Could not read the mesh: ' + err.message, 'error');
      }
    }
  }

  main.replaceChildren(
    h('div', { class: 'head' }, title, subtitle, h('span', { class: 'spacer' }), verify, del),
    headMsg, auditResult,
    h('dl', { class: 'grid' },
      h('div', { class: 'stat' }, h('dt', {}, 'Live peers'), livePeers),
      h('div', { class: 'stat' }, h('dt', {}, 'DMs held (undelivered)'), depth),
      h('div', { class: 'stat' }, h('dt', {}, 'Oldest undelivered DM'), oldest)),
    h('section', { class: 'card', id: 'peers-section' },
      h('div', { class: 'head' }, h('h2', {}, 'Live peers'), peersState), peersTable),
    h('div', { class: 'two' },
      h('section', { class: 'card', id: 'members-section' }, h('h2', {}, 'Members'), membersTable, membersMsg,
        h('h2', {}, 'Enrol a key'), addForm),
      h('section', { class: 'card', id: 'invites-section' }, h('h2', {}, 'Invites'), inviteForm, invitesMsg,
        inviteResult, h('table', { id: 'invites' }, h('thead', {}, h('tr', {}, h('th', {}, 'Invite'),
          h('th', {}, 'Role'), h('th', {}, 'Used'), h('th', {}, 'Expires'), h('th', {}, 'State'), h('th', {}, ''))),
        invitesBody))));

  loadMesh();
  loadMembers();
  loadInvites();
  followPeers();
  // members and invites also change without a peer event (a teammate joins with an invite and has not connected yet)
  const timer = setInterval(() => {
    loadMesh();
    loadMembers();
    loadInvites();
  }, REFRESH_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
    abort.abort();
  };
}

