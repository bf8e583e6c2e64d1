// Tiny DOM helpers. Text always goes in as text nodes, never as HTML: names, badges
// and notes come from devices and users.

/**
 * @typedef {string | number | Node | null | undefined | false} Child
 * @typedef {Record<string, unknown>} Attrs
 */

/**
 * Creates an element. `attrs`: `class`, `dataset` (object), `on<event>` (listener),
 * boolean attributes as true/false, anything else as an attribute.
 * @param {string} tag
 * @param {Attrs | null} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue
    if (k === 'dataset') Object.assign(el.dataset, v)
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), /** @type {EventListener} */ (v))
    else if (k === 'value' && 'value' in el) /** @type {HTMLInputElement} */ (el).value = String(v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  append(el, children)
  return el
}

/**
 * @param {Node} el
 * @param {(Child | Child[])[]} children
 */
export function append(el, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue
    el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)))
  }
}

/**
 * Replaces an element's children.
 * @param {Element} el
 * @param {...(Child | Child[])} children
 */
export function replace(el, ...children) {
  el.replaceChildren()
  append(el, children)
}

/**
 * Updates `root`'s children to match `children` in place, so that a live update does not take
 * away the focus, the scroll position or a click that is under way. Children are matched by
 * `data-key` where given, else by position and tag. An element with `data-action` (it has a
 * listener) is kept only when it is identical to the new one: such an element carries every id
 * its listener uses as an attribute, so "identical" means "does the same thing".
 * @param {Element} root
 * @param {...(Child | Child[])} children
 */
export function patch(root, ...children) {
  const next = document.createElement(root.tagName)
  append(next, children)
  patchChildren(root, next)
}

/**
 * @param {Element} from
 * @param {Element} to
 */
function patchChildren(from, to) {
  const old = [...from.childNodes]
  /** @type {Map<string, ChildNode>} */
  const keyed = new Map()
  for (const n of old) {
    const k = keyOf(n)
    if (k) keyed.set(k, n)
  }
  const used = new Set()
  let cursor = 0
  /** @type {ChildNode | null} */
  let prev = null
  for (const n of [...to.childNodes]) {
    const k = keyOf(n)
    let match = k ? keyed.get(k) : undefined
    if (!k) {
      while (cursor < old.length && (used.has(old[cursor]) || keyOf(/** @type {ChildNode} */ (old[cursor])))) cursor++
      match = old[cursor]
    }
    /** @type {ChildNode} */
    let node = n
    if (match && !used.has(match) && sameKind(match, n)) {
      used.add(match)
      if (!k) cursor++
      if (match.nodeType === Node.TEXT_NODE) {
        if (match.nodeValue !== n.nodeValue) match.nodeValue = n.nodeValue
        node = match
      } else if (/** @type {Element} */ (match).hasAttribute('data-action')) {
        node = match.isEqualNode(n) ? match : n
      } else {
        patchAttributes(/** @type {Element} */ (match), /** @type {Element} */ (n))
        patchChildren(/** @type {Element} */ (match), /** @type {Element} */ (n))
        node = match
      }
    }
    /** @type {ChildNode | null} */
    const want = prev ? prev.nextSibling : from.firstChild
    if (node !== want) from.insertBefore(node, want)
    prev = node
  }
  // Each node was put straight after the one before, so what is left over (old nodes not
  // matched, data-action elements that were replaced) is all after the last one.
  let extra = prev ? prev.nextSibling : from.firstChild
  while (extra) {
    const after = extra.nextSibling
    extra.remove()
    extra = after
  }
}

/** @param {ChildNode} n */
function keyOf(n) {
  return n.nodeType === Node.ELEMENT_NODE ? /** @type {Element} */ (n).getAttribute('data-key') : null
}

/**
 * @param {ChildNode} a
 * @param {ChildNode} b
 */
function sameKind(a, b) {
  return a.nodeType === b.nodeType && (a.nodeType !== Node.ELEMENT_NODE || /** @type {Element} */ (a).tagName === /** @type {Element} */ (b).tagName)
}

/**
 * @param {Element} from
 * @param {Element} to
 */
function patchAttributes(from, to) {
  for (const a of [...from.attributes]) if (!to.hasAttribute(a.name)) from.removeAttribute(a.name)
  for (const a of to.attributes) if (from.getAttribute(a.name) !== a.value) from.setAttribute(a.name, a.value)
}

/**
 * @template {Element} [T=HTMLElement]
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {T}
 */
export function $(selector, root = document) {
  const el = root.querySelector(selector)
  if (!el) throw new Error(`missing element ${selector}`)
  return /** @type {T} */ (el)
}
