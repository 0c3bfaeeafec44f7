// #/key: enter the API key (kept in this browser's localStorage) and see its role.
import { getKey, setKey, whoami } from '../api.js';
import { dl, errorNotice, field, h, notice, render } from '../ui.js';
import { keysAdmin } from './keys-admin.js';

export async function showKey(onChange) {
  const status = h('div.status');
  const form = h(
    'form.card',
    {
      onsubmit: async (ev) => {
        ev.preventDefault();
        setKey(field(form, 'key'));
        await describe();
        await onChange();
      },
    },
    h('label', 'API key', h('input', { name: 'key', type: 'password', autocomplete: 'off', value: getKey(), placeholder: 'paste the key an administrator gave you', required: true })),
    h('div.row', h('button', { type: 'submit' }, 'Use this key'), h('button.secondary', { type: 'button', onclick: async () => { setKey(''); form.reset(); await describe(); await onChange(); } }, 'Forget key')),
  );
  async function describe() {
    try {
      const me = await whoami();
      status.replaceChildren(
        me
          ? h('div', notice('ok', h('div', 'Signed in as ', h('strong', me.name), ' with role ', h('strong.role', me.role), '.'), dl({ 'key id': me.keyId, permissions: me.permissions.join(', ') })), me.permissions.includes('keys:admin') ? keysAdmin() : null)
          : notice(getKey() ? 'error' : 'info', getKey() ? 'This key is unknown or revoked.' : 'No key entered. Every page except this one needs a key.'),
      );
    } catch (e) {
      status.replaceChildren(errorNotice(e));
    }
  }
  render(
    h('h1', 'API key'),
    h('p.muted', 'The key is stored in this browser only (localStorage) and sent as "Authorization: Bearer …". Roles: admin (everything), operator (register parts, record events), inspector (check parts, record inspections), viewer (read).'),
    form,
    status,
  );
  await describe();
}
