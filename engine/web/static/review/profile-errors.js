/*
 * Errors of the interviewer editor, each next to the control it names. Like forms.js formErrors, but for
 * nested API paths: a 422 at `rubric[2].weight` goes to the third rubric row's weight, and a path with no
 * control of its own falls back to its nearest owner (`rubric[2].weight` -> `rubric[2]` -> `rubric`).
 * Anything that names nothing on the page goes to `general`.
 */

import { sentence } from './dom.js';
import { cleanMessage } from './forms.js';

/** `rubric[2].weight` -> [`rubric[2].weight`, `rubric[2]`, `rubric`]. */
export function ownerPaths(path) {
  const paths = [];
  let rest = String(path ?? '');
  while (rest) {
    paths.push(rest);
    const cut = Math.max(rest.lastIndexOf('.'), rest.lastIndexOf('['));
    rest = cut > 0 ? rest.slice(0, cut) : '';
  }
  return paths;
}

/** `entries()` gives the current map of path -> `{ error, input, focus }` (rows come and go). */
export function errorBoard(entries, general) {
  const set = (entry, text) => {
    entry.error.textContent = text;
    entry.input?.setAttribute('aria-invalid', text ? 'true' : 'false');
  };
  const find = (map, path) => ownerPaths(path).map((candidate) => map[candidate]).find(Boolean);
  return {
    clear() {
      for (const entry of Object.values(entries())) set(entry, '');
      general.textContent = '';
    },
    /** Problems found before sending, `[path, text]`; true when there were any. */
    check(problems) {
      const map = entries();
      for (const [path, text] of problems) {
        const entry = find(map, path);
        if (entry && !entry.error.textContent) set(entry, text);
        else if (!entry) general.textContent = text;
      }
      if (problems.length) this.focusFirst();
      return problems.length > 0;
    },
    fromApi(error) {
      const map = entries();
      let placed = false;
      for (const item of error.details?.fields ?? []) {
        const entry = find(map, item.path);
        if (!entry || entry.error.textContent) continue;
        set(entry, cleanMessage(item.message));
        placed = true;
      }
      const named = error.details?.field;
      if (!placed && typeof named === 'string' && find(map, named)) {
        set(find(map, named), sentence(error.message));
        placed = true;
      }
      if (!placed) general.textContent = sentence(error.message);
      this.focusFirst();
    },
    /** Focus on the first control in error, in the order of the page. */
    focusFirst() {
      const shown = Object.values(entries()).filter((entry) => entry.error.textContent && entry.error.isConnected);
      shown.sort((a, b) => (a.error.compareDocumentPosition(b.error) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
      const first = shown[0];
      if (first) (first.focus ?? first.input)?.focus();
      else if (general.textContent) general.focus?.();
    },
  };
}
