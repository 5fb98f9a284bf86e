// Keyboard: space plays/pauses, left/right step one epoch, Home/End jump, Esc clears, R resets the view,
// ? shows the keys.
export function bindKeys(actions) {
  window.addEventListener('keydown', (ev) => {
    const tag = (ev.target.tagName || '').toLowerCase();
    if ((tag === 'input' && ev.target.type !== 'range' && ev.target.type !== 'checkbox') || tag === 'select' || tag === 'textarea') return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const act = {
      ' ': actions.togglePlay, ArrowRight: () => actions.step(1), ArrowLeft: () => actions.step(-1),
      Home: actions.first, End: actions.last, Escape: actions.clear, r: actions.resetView, '?': actions.help,
    }[ev.key];
    if (!act) return;
    ev.preventDefault();
    act();
  });
}
