// The console's shell: asks for the admin token once per browser session (kept in sessionStorage, sent as
// "Authorization: Bearer" on the admin API), routes #/meshes, #/mesh/<id> and #/node, and goes back to the token
// form whenever the broker answers 401.
import { api, clearToken, setToken, token, Unauthorized } from './api.js';
import { h, message } from './dom.js';
import { renderMeshes } from './views-meshes.js';
import { renderMesh } from './views-mesh.js';
import { renderNode } from './views-node.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
let cleanup = () => {};

const ctx = {
  // A failed call: a 401 ends the session; anything else is shown where it happened (the caller's job).
  fail(error) {
    if (error instanceof Unauthorized) {
      clearToken();
      showLogin('The broker refused the token (401 unauthorized). Enter the token from data/admin-token '
        + '(or BROKER_ADMIN_TOKEN).');
      return true;
    }
    return false;
  },
  go(hash) {
    if (location.hash === hash) {
      route();
    } else {
      location.hash = hash;
    }
  },
};

function showLogin(reason) {
  cleanup();
  cleanup = () => {};
  nav.hidden = true;
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', required: true,
    placeholder: 'admin token', 'aria-label': 'admin token' });
  const error = h('p', { id: 'login-error', class: 'msg' + (reason ? ' error' : ''), role: 'alert' }, reason || '');
  const submit = h('button', { type: 'submit', id: 'login' }, 'Open console');
  const form = h('form', { id: 'login-form', class: 'card login', onsubmit: async (e) => {
    e.preventDefault();
    submit.disabled = true;
    setToken(input.value.trim());
    try {
      await api('GET', '/admin/node'); // any admin call proves the token; nothing is shown before it succeeds
      if (!location.hash || location.hash === '#/' || location.hash === '#/login') {
        location.hash = '#/meshes';
      }
      route();
    } catch (err) {
      clearToken();
      submit.disabled = false;
      if (err instanceof Unauthorized) {
        message(error, 'Refused: the broker does not accept this token (401 unauthorized).', 'error');
      } else {
        message(error, 'The broker could not be reached: ' + err.message, 'error');
      }
    }
  } },
  h('h1', {}, 'Operator console'),
  h('p', { class: 'muted' }, 'Enter the broker\'s admin token. It is kept for this browser session only.'),
  input, submit, error);
  main.replaceChildren(form);
  input.focus();
}

function route() {
  cleanup();
  cleanup = () => {};
  if (!token()) {
    showLogin();
    return;
  }
  nav.hidden = false;
  const hash = location.hash || '#/meshes';
  for (const a of nav.querySelectorAll('a')) {
    a.classList.toggle('active', hash.startsWith(a.getAttribute('href')));
  }
  const mesh = hash.match(/^#\/mesh\/([0-9A-Za-z]{32})$/);
  if (mesh) {
    cleanup = renderMesh(main, ctx, mesh[1]);
  } else if (hash === '#/node') {
    cleanup = renderNode(main, ctx);
  } else {
    cleanup = renderMeshes(main, ctx);
  }
}

document.getElementById('logout').addEventListener('click', () => {
  clearToken();
  showLogin();
});
window.addEventListener('hashchange', route);
route();
