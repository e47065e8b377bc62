/*
 * Drag-to-reorder for a list, with pointer events (one code path for mouse, pen
 * and touch; HTML5 drag and drop has none on most phones). Pressing an item's
 * handle and moving places the item among its siblings by where the pointer is;
 * letting go reports the new order; Escape or a cancelled pointer puts it back.
 * Only the other items move in the DOM, never the dragged one, so it keeps its
 * pointer capture. Keyboard users reorder with the page's own buttons.
 */

/**
 * `list`: the element whose children are the items, each with `data-stage-id`-style `data-*` id read by
 * `idOf`. `onDrop(ids, movedId)`: the order after a drag, called only when a drag ends normally.
 */
export function makeSortable(list, { handle, onDrop, idOf = (item) => item.dataset.stageId }) {
  let drag = null;

  const items = () => [...list.children];

  function place(clientY) {
    const { item } = drag;
    const others = items().filter((other) => other !== item);
    // The item goes after every sibling whose middle is above the pointer.
    const index = others.filter((other) => {
      const box = other.getBoundingClientRect();
      return box.top + box.height / 2 < clientY;
    }).length;
    if (items().indexOf(item) === index) return;
    item.before(...others.slice(0, index));
    item.after(...others.slice(index));
  }

  function restore() {
    const byId = new Map(items().map((item) => [idOf(item), item]));
    list.append(...drag.start.map((id) => byId.get(id)));
  }

  function end(commit) {
    if (!drag) return;
    const { item, pointerId, grip } = drag;
    if (!commit) restore();
    item.classList.remove('is-dragging');
    list.classList.remove('is-sorting');
    if (grip.hasPointerCapture?.(pointerId)) grip.releasePointerCapture(pointerId);
    window.removeEventListener('keydown', onKey, true);
    const moved = idOf(item);
    const ids = items().map(idOf);
    const changed = ids.some((id, index) => id !== drag.start[index]);
    drag = null;
    if (commit && changed) onDrop(ids, moved);
  }

  function onKey(event) {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    event.stopPropagation();
    end(false);
  }

  list.addEventListener('pointerdown', (event) => {
    const grip = event.target.closest(handle);
    if (!grip || !list.contains(grip) || drag || event.button !== 0) return;
    const item = [...list.children].find((child) => child.contains(grip));
    if (!item) return;
    event.preventDefault(); // no text selection, no scrolling from the handle
    drag = { item, grip, pointerId: event.pointerId, start: items().map(idOf) };
    grip.setPointerCapture?.(event.pointerId);
    item.classList.add('is-dragging');
    list.classList.add('is-sorting');
    window.addEventListener('keydown', onKey, true);
  });
  list.addEventListener('pointermove', (event) => {
    if (drag && event.pointerId === drag.pointerId) place(event.clientY);
  });
  list.addEventListener('pointerup', (event) => {
    if (drag && event.pointerId === drag.pointerId) {
      place(event.clientY);
      end(true);
    }
  });
  list.addEventListener('pointercancel', (event) => {
    if (drag && event.pointerId === drag.pointerId) end(false);
  });
  list.addEventListener('lostpointercapture', (event) => {
    if (drag && event.pointerId === drag.pointerId) end(false);
  });

  return { get dragging() { return Boolean(drag); } };
}
