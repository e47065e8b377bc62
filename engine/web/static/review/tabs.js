/*
 * Tabs as the ARIA Authoring Practices describe them: a tablist of buttons, one
 * tabpanel each. Only the selected tab is in the Tab order (a roving tabindex);
 * the arrow keys, Home and End move between tabs and select them at once
 * ("automatic activation"), which suits panels that render without a long wait.
 */

import { h } from './dom.js';

/**
 * `items`: [{key, label}]. `onSelect(key, panel)` runs each time a tab becomes selected, so a page can
 * render a panel the first time it is shown and keep the address bar in step. Returns {list, panels
 * (key -> element), select(key, {focus})}: put list and panels on the page, then select the first tab (an
 * unknown key selects the first one), so its panel renders in the document.
 */
export function tabs({ id, label, items, onSelect }) {
  const buttons = new Map();
  const panels = new Map();
  let current = null;

  for (const item of items) {
    const tabId = `${id}-tab-${item.key}`;
    const panelId = `${id}-panel-${item.key}`;
    const button = h('button', { type: 'button', role: 'tab', id: tabId, class: 'tab', 'aria-controls': panelId,
      'aria-selected': 'false', tabindex: '-1', 'data-testid': `tab-${item.key}`, text: item.label,
      on: { click: () => select(item.key) } });
    buttons.set(item.key, button);
    panels.set(item.key, h('div', { role: 'tabpanel', id: panelId, class: 'tab-panel', 'aria-labelledby': tabId,
      tabindex: '0', hidden: true, 'data-testid': `panel-${item.key}` }));
  }

  const keys = items.map((item) => item.key);
  const list = h('div', { role: 'tablist', class: 'tabs', 'aria-label': label, 'data-testid': `${id}-tabs` },
    [...buttons.values()]);
  list.addEventListener('keydown', (event) => {
    const at = keys.indexOf(current);
    const next = {
      ArrowRight: keys[(at + 1) % keys.length],
      ArrowLeft: keys[(at - 1 + keys.length) % keys.length],
      Home: keys[0],
      End: keys[keys.length - 1],
    }[event.key];
    if (!next) return;
    event.preventDefault();
    select(next, { focus: true });
  });

  function select(key, { focus = false } = {}) {
    if (!buttons.has(key)) key = keys[0];
    const changed = key !== current;
    current = key;
    for (const [name, button] of buttons) {
      const on = name === key;
      button.setAttribute('aria-selected', String(on));
      button.tabIndex = on ? 0 : -1;
      panels.get(name).hidden = !on;
    }
    if (focus) buttons.get(key).focus();
    if (changed) onSelect?.(key, panels.get(key));
  }

  return { list, panels, select, get selected() { return current; } };
}
