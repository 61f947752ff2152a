/** Registers a custom element once, so a page that loads the bundle twice keeps working. */
export function define(name: string, ctor: CustomElementConstructor): void {
  if (!customElements.get(name)) customElements.define(name, ctor);
}
