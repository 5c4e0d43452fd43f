// The meshes view: every mesh with its member counts and live peers (refreshed every few seconds), and a form to
// create one.
import { api } from './api.js';
import { badge, h, message, when } from './dom.js';

const REFRESH_MS = 3000;

export function renderMeshes(main, ctx) {
  const tbody = h('tbody', {}, h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'Loading…')));
  const table = h('table', { id: 'meshes' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Mesh'), h('th', {}, 'Slug'), h('th', {}, 'Members'),
      h('th', {}, 'Live peers'), h('th', {}, 'Created'))),
    tbody);
  const listMsg = h('p', { class: 'msg', id: 'meshes-msg' });
  const name = h('input', { id: 'mesh-name', required: true, placeholder: 'Platform team' });
  const slug = h('input', { id: 'mesh-slug', required: true, placeholder: 'platform', pattern: '[a-z0-9][a-z0-9-]{0,63}' });
  const createMsg = h('p', { class: 'msg', id: 'create-mesh-msg', role: 'status' });
  const form = h('form', { id: 'create-mesh', class: 'inline', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const m = await api('POST', '/admin/meshes', { name: name.value.trim(), slug: slug.value.trim() });
      message(createMsg, 'Created mesh ' + m.name + ' (' + m.id + ').', 'ok');
      name.value = '';
      slug.value = '';
      ctx.go('#/mesh/' + m.id);
    } catch (err) {
      if (!ctx.fail(err)) {
        message(createMsg, 'Not created: ' + err.message, 'error');
      }
    }
  } },
  h('label', {}, 'Name', name), h('label', {}, 'Slug (a-z, 0-9, -)', slug),
  h('button', { type: 'submit', id: 'create-mesh-submit' }, 'Create mesh'));

  main.replaceChildren(
    h('h1', {}, 'Meshes'),
    h('section', { class: 'card' }, table, listMsg),
    h('section', { class: 'card' }, h('h2', {}, 'Create a mesh'), form, createMsg));

  let stopped = false;
  async function load() {
    try {
      const meshes = await api('GET', '/admin/meshes');
      if (stopped) {
        return;
      }
      message(listMsg, '');
      if (meshes.length === 0) {
        tbody.replaceChildren(h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No mesh yet: create one below.')));
        return;
      }
      tbody.replaceChildren(...meshes.map((m) => h('tr', { dataset: { meshId: m.id } },
        h('td', {}, h('a', { href: '#/mesh/' + m.id, class: 'mesh-link' }, m.name),
          h('div', { class: 'muted mono' }, m.id)),
        h('td', { class: 'mono' }, m.slug),
        h('td', {}, m.activeMembers + (m.members !== m.activeMembers ? ' (+' + (m.members - m.activeMembers)
          + ' revoked)' : '')),
        h('td', { class: 'live-peers' }, m.livePeers > 0 ? badge(String(m.livePeers), 'live') : '0'),
        h('td', {}, when(m.createdAt)))));
    } catch (err) {
      if (!ctx.fail(err) && !stopped) {
        message(listMsg, 'Could not list meshes: ' + err.message, 'error');
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
