// portscope web pages: progressive enhancement only. Every page works without
// this script; with it, search boxes suggest ports as you type (from
// /api/search) and "/" focuses the search box. Text from the server is put in
// the page with textContent, never as HTML.
'use strict';

(function () {
  const DELAY_MS = 150;
  const MAX_SUGGESTIONS = 8;

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function attachSuggestions(form) {
    const input = form.querySelector('input[name=q]');
    if (!input) return;
    const list = el('ul', 'suggest');
    list.hidden = true;
    list.id = 'suggest-' + Math.random().toString(36).slice(2);
    list.setAttribute('role', 'listbox');
    input.setAttribute('aria-controls', list.id);
    input.setAttribute('autocomplete', 'off');
    form.appendChild(list);
    let timer = 0;
    let seq = 0;

    function hide() { list.hidden = true; list.replaceChildren(); }

    function show(hits) {
      list.replaceChildren();
      for (const h of hits) {
        const li = el('li');
        li.setAttribute('role', 'option');
        const a = el('a');
        a.href = '/ports/' + encodeURIComponent(String(h.port));
        a.appendChild(el('span', 'port', h.port + '/' + h.proto));
        const name = h.match && h.match.name ? h.match.name : '';
        const svc = h.iana && h.iana.services && h.iana.services[0];
        const desc = svc && svc.description ? ' \u2014 ' + svc.description : '';
        a.appendChild(document.createTextNode(name + desc));
        li.appendChild(a);
        list.appendChild(li);
      }
      list.hidden = hits.length === 0;
    }

    async function fetchHits(q, mine) {
      try {
        const url = '/api/search?limit=' + MAX_SUGGESTIONS + '&q=' + encodeURIComponent(q);
        const res = await fetch(url, { headers: { Accept: 'application/json' } });
        if (!res.ok || mine !== seq) return;
        const hits = await res.json();
        if (mine === seq && Array.isArray(hits)) show(hits);
      } catch (e) {
        hide();  // suggestions are a convenience: the form still works
      }
    }

    input.addEventListener('input', function () {
      clearTimeout(timer);
      const q = input.value.trim();
      const mine = ++seq;
      if (q.length < 2) { hide(); return; }
      timer = setTimeout(function () { fetchHits(q, mine); }, DELAY_MS);
    });
    input.addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape') hide();
      if (ev.key === 'ArrowDown' && !list.hidden) {
        const first = list.querySelector('a');
        if (first) { ev.preventDefault(); first.focus(); }
      }
    });
    list.addEventListener('keydown', function (ev) {
      const links = Array.from(list.querySelectorAll('a'));
      const i = links.indexOf(document.activeElement);
      if (ev.key === 'ArrowDown' && i + 1 < links.length) { ev.preventDefault(); links[i + 1].focus(); }
      if (ev.key === 'ArrowUp') { ev.preventDefault(); (i > 0 ? links[i - 1] : input).focus(); }
      if (ev.key === 'Escape') { hide(); input.focus(); }
    });
    document.addEventListener('click', function (ev) {
      if (!form.contains(ev.target)) hide();
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('form.search').forEach(attachSuggestions);
    document.addEventListener('keydown', function (ev) {
      const t = ev.target;
      const typing = t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT');
      if (ev.key === '/' && !typing) {
        const box = document.querySelector('form.search input[name=q]');
        if (box) { ev.preventDefault(); box.focus(); box.select(); }
      }
    });
  });
})();
