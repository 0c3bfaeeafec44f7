// Key management for administrators (on #/key): list keys, make one (secret shown once), revoke.
import { api, get, post } from '../api.js';
import { errorNotice, field, fmtTime, guard, h, notice } from '../ui.js';

const ROLES = ['operator', 'inspector', 'viewer', 'admin'];

export function keysAdmin() {
  const list = h('div');
  const out = h('div');
  async function reload() {
    await guard(list, async () => {
      const { items } = await get('/api/keys');
      list.replaceChildren(
        h(
          'table.list.keys',
          h('thead', h('tr', h('th', 'Id'), h('th', 'Name'), h('th', 'Role'), h('th', 'Created'), h('th', 'Revoked'), h('th', ''))),
          h(
            'tbody',
            items.map((k) =>
              h(
                'tr',
                h('td', h('code', k.id)),
                h('td', k.name),
                h('td', h('span.role', k.role)),
                h('td', fmtTime(k.createdAt)),
                h('td', k.revokedAt ? fmtTime(k.revokedAt) : '–'),
                h('td', k.revokedAt ? '' : h('button.secondary.small', { type: 'button', onclick: () => revoke(k) }, 'Revoke')),
              ),
            ),
          ),
        ),
      );
    });
  }
  async function revoke(k) {
    if (!window.confirm(`Revoke key ${k.id} (${k.name})? Clients using it stop working.`)) return;
    try {
      await api('DELETE', `/api/keys/${k.id}`);
      out.replaceChildren(notice('ok', `Key ${k.id} revoked.`));
      await reload();
    } catch (e) {
      out.replaceChildren(errorNotice(e));
    }
  }
  const form = h(
    'form.inline',
    {
      onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          const made = await post('/api/keys', { name: field(form, 'name'), role: field(form, 'role') });
          out.replaceChildren(notice('ok', `New ${made.key.role} key for ${made.key.name}. Copy it now, it is not shown again: `, h('code.secret', made.secret)));
          form.reset();
          await reload();
        } catch (e) {
          out.replaceChildren(errorNotice(e));
        }
      },
    },
    h('label', 'Name', h('input', { name: 'name', required: true, placeholder: 'line 2 tablet' })),
    h('label', 'Role', h('select', { name: 'role' }, ROLES.map((r) => h('option', { value: r }, r)))),
    h('button', { type: 'submit' }, 'Make key'),
  );
  reload();
  return h('section.card', h('h2', 'API keys (administrators)'), form, out, list);
}
