// Builds the element tree that build.rs describes in one string, in one call from the wasm
// rather than one per element, attribute and text. Fields are separated by NUL; each starts
// with what it does. Only createElement, setAttribute and text nodes: nothing parses HTML.
export function build(doc, parent, before, ops) {
  const fields = ops.split('\0');
  const tree = doc.createDocumentFragment();
  const open = [tree];
  const kept = [];
  let top = tree;
  // The last field is the empty one after the last NUL.
  for (let i = 0; i < fields.length - 1; i++) {
    const field = fields[i];
    const rest = field.slice(1);
    switch (field[0]) {
      case '<': {
        const el = doc.createElement(rest);
        const part = fields[++i];
        if (part) el.setAttribute('part', part);
        top.appendChild(el);
        open.push((top = el));
        break;
      }
      case '@':
        top.setAttribute(rest, fields[++i]);
        break;
      case '#':
        top.appendChild(doc.createTextNode(rest));
        break;
      case '>':
        open.pop();
        top = open[open.length - 1];
        break;
      case '!':
        kept.push(top);
        break;
    }
  }
  // Whole or not at all: a tree that failed halfway never reaches the page.
  parent.insertBefore(tree, before);
  return kept;
}
