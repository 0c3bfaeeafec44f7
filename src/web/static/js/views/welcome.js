// First contact: no key in this browser yet. A short page that asks for one, instead of an error.
import { setKey, whoami } from '../api.js';
import { field, h, notice, render } from '../ui.js';

/** Shows the "paste your key" page; `onKey` runs once a key the server accepts is stored. */
export function showWelcome(onKey) {
  const status = h('div.status');
  const form = h(
    'form.card.welcome',
    {
      onsubmit: async (ev) => {
        ev.preventDefault();
        setKey(field(form, 'key'));
        let me;
        try {
          me = await whoami();
        } catch (e) {
          status.replaceChildren(notice('error', String(e && e.message ? e.message : e)));
          return;
        }
        if (!me) {
          setKey('');
          status.replaceChildren(notice('error', 'The server does not know this key (mistyped, or revoked). Paste it again, or ask an administrator for a new one.'));
          return;
        }
        await onKey();
      },
    },
    h('label', 'Your API key', h('input', { name: 'key', type: 'password', autocomplete: 'off', placeholder: 'ppk_…', required: true, autofocus: true })),
    h('button', { type: 'submit' }, 'Continue'),
  );
  render(
    h('h1', 'Welcome to partprint'),
    h('p', 'Paste your key to see the registered parts, check a part from a photo and record its history.'),
    form,
    status,
    h(
      'p.muted',
      'No key yet? The first time ',
      h('code', 'partprint serve'),
      ' starts it prints an admin key; an admin makes more under "Key" or with ',
      h('code', 'partprint keys create --role viewer --name NAME'),
      '. The key stays in this browser.',
    ),
  );
}
