// DOM helpers. Text from the broker (names, summaries, statuses) is only ever set as text, never as HTML.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) {
      continue;
    }
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'class') {
      el.className = v;
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else if (v === true) {
      el.setAttribute(k, '');
    } else {
      el.setAttribute(k, String(v));
    }
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) {
      continue;
    }
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function badge(text, kind) {
  return h('span', { class: 'badge ' + (kind || text) }, text);
}

export function message(el, text, kind) {
  el.textContent = text || '';
  el.className = 'msg' + (kind ? ' ' + kind : '');
}

// "3 min ago" style age of an ISO time or of a number of milliseconds.
export function age(msOrIso) {
  const ms = typeof msOrIso === 'number' ? msOrIso : Date.now() - Date.parse(msOrIso);
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) {
    return s + ' s';
  }
  if (s < 3600) {
    return Math.floor(s / 60) + ' min';
  }
  if (s < 86400) {
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }
  return Math.floor(s / 86400) + ' d ' + Math.floor((s % 86400) / 3600) + ' h';
}

export function when(iso) {
  if (!iso) {
    return '—';
  }
  const d = new Date(iso);
  return d.toLocaleString();
}

export function shortKey(hex) {
  return hex ? hex.slice(0, 8) + '…' + hex.slice(-4) : '';
}

// Copies text; falls back to selecting it when the clipboard is not available (plain http on another host).
export async function copy(text, el) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (e) {
    if (el) {
      const range = document.createRange();
      range.selectNodeContents(el);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
    }
    return false;
  }
}
