import { displayText } from './format.js';
/**
 * The only way this client builds DOM: elements from tag names, attributes via
 * setAttribute and text via text nodes. Nothing here (or anywhere in the
 * client) parses HTML, so user text can never become markup.
 */
export type Child = Node | string | number | null | undefined | false;

export interface ElementProps {
  class?: string;
  /** Attributes, set with setAttribute; `false`/`undefined` leaves one out, `true` sets it empty. */
  attrs?: Record<string, string | number | boolean | undefined>;
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.class) element.className = props.class;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const [type, listener] of Object.entries(props.on ?? {})) {
    element.addEventListener(type, listener as EventListener);
  }
  append(element, ...children);
  return element;
}

/** User-provided text (names, room names): bidi controls dropped, and isolated from its surroundings. */
export function userText(text: string, className?: string): HTMLElement {
  return el('bdi', { ...(className ? { class: className } : {}), attrs: { dir: 'auto' } }, displayText(text));
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces all children of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

let idSeq = 0;
/** A document-unique id, for label/aria wiring. */
export function uid(prefix: string): string {
  return `${prefix}-${++idSeq}`;
}

/** A labelled form field: `<label for>` + control, so every control has an accessible name. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement,
  hint?: string,
): HTMLDivElement {
  control.id ||= uid('field');
  const wrapper = el('div', { class: control instanceof HTMLInputElement && control.type === 'checkbox' ? 'field check' : 'field' });
  const labelEl = el('label', { attrs: { for: control.id } }, label);
  if (control instanceof HTMLInputElement && control.type === 'checkbox') append(wrapper, control, labelEl);
  else append(wrapper, labelEl, control);
  if (hint) {
    const hintEl = el('p', { class: 'hint', attrs: { id: uid('hint') } }, hint);
    control.setAttribute('aria-describedby', hintEl.id);
    append(wrapper, hintEl);
  }
  return wrapper;
}

/** Text for screen readers only. */
export function srOnly(text: string): HTMLSpanElement {
  return el('span', { class: 'sr-only' }, text);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** A padlock icon, drawn with SVG DOM calls (no markup parsing), hidden from screen readers. */
export function lockIcon(): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '12');
  svg.setAttribute('height', '12');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'lock');
  const body = document.createElementNS(SVG_NS, 'rect');
  for (const [k, v] of Object.entries({ x: '3', y: '7', width: '10', height: '8', rx: '1.5', fill: 'currentColor' })) body.setAttribute(k, v);
  const shackle = document.createElementNS(SVG_NS, 'path');
  for (const [k, v] of Object.entries({ d: 'M5 7V5a3 3 0 0 1 6 0v2', fill: 'none', stroke: 'currentColor', 'stroke-width': '1.6' })) {
    shackle.setAttribute(k, v);
  }
  svg.append(body, shackle);
  return svg;
}
