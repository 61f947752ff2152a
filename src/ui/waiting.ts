// The waiting tile of <rtc-room controls>: a person alone in the room sees it, with the invite link.
import { html, type TemplateResult } from 'lit';
import { icons } from './icons.js';
import type { Translate } from './strings.js';

/** The tile a person alone in the room sees: waiting text, the invite link and a copy button. */
export function waitingTemplate(href: string, copied: boolean, copy: (e: Event) => void, t: Translate): TemplateResult {
  return html`<div part="waiting" role="status">
    <p part="waiting-title">${t('waiting')}</p>
    <p part="invite-text">${t('invite')}</p>
    <div part="invite"><input part="invite-link" readonly aria-label=${t('invite')} .value=${href} /><button type="button" part="copy-button" @click=${copy}>${icons.copy}<span>${t(copied ? 'copied' : 'copy')}</span></button></div>
  </div>`;
}
