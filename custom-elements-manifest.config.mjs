// @custom-elements-manifest/analyzer configuration (run by `npm run build`).
const EVENTS_MODULE = 'src/events.ts';

/** Event classes of src/events.ts (`class XEvent extends DetailEvent<XDetail>`), by event name. */
const eventClasses = new Map(); // eventName -> { name, detail }

export default {
  globs: ['src/**/*.ts'],
  exclude: ['src/server/**', 'src/server-entry.ts', 'src/**/*.d.ts'],
  outdir: '.',
  litelement: true,
  plugins: [
    {
      // The @fires JSDoc tags name every event; the analyzer also lists each
      // `dispatchEvent(new SomeEvent(...))` call, which has no name: drop those.
      name: 'drop-unnamed-events',
      packageLinkPhase({ customElementsManifest }) {
        for (const mod of customElementsManifest.modules) {
          for (const decl of mod.declarations ?? []) {
            // (`type`: RoomNoticeEvent, one class dispatched under each name of RoomNotices.)
            if (decl.events) decl.events = decl.events.filter((e) => e.name && e.name !== 'detail' && e.name !== 'type');
          }
        }
      },
    },
    {
      // Each event gets its type (the Event subclass from src/events.ts) and
      // that class's `detail` its real type, so editors and generated
      // framework typings know `peer-leave` carries a PeerLeaveDetail.
      name: 'typed-events',
      analyzePhase({ ts, node, moduleDoc }) {
        if (ts.isInterfaceDeclaration(node) && node.name.text === 'RoomNotices') {
          // RoomNoticeEvent (src/events.ts) carries every event this interface names, with RoomNotices[name] as detail.
          for (const m of node.members) {
            const name = m.name && (ts.isStringLiteral(m.name) || ts.isIdentifier(m.name)) ? m.name.text : null;
            if (name) eventClasses.set(name, { name: 'RoomNoticeEvent', detail: `RoomNotices['${name}']` });
          }
          return;
        }
        if (moduleDoc.path !== EVENTS_MODULE || !ts.isClassDeclaration(node) || !node.name) return;
        const base = node.heritageClauses?.flatMap((h) => h.types).find((t) => t.expression.getText() === 'DetailEvent');
        const eventName = node.members.find((m) => ts.isPropertyDeclaration(m) && m.name.getText() === 'eventName')?.initializer;
        if (!base?.typeArguments?.[0] || !eventName || !ts.isStringLiteral(eventName)) return;
        eventClasses.set(eventName.text, { name: node.name.text, detail: base.typeArguments[0].getText() });
      },
      packageLinkPhase({ customElementsManifest }) {
        const byClass = new Map([...eventClasses.values()].map((c) => [c.name, c]));
        for (const mod of customElementsManifest.modules) {
          for (const decl of mod.declarations ?? []) {
            if (mod.path === EVENTS_MODULE && byClass.has(decl.name)) {
              const detail = decl.members?.find((m) => m.name === 'detail');
              if (detail) detail.type = { text: `Readonly<${byClass.get(decl.name).detail}>` };
            }
            for (const event of decl.events ?? []) {
              const cls = eventClasses.get(event.name);
              if (!cls) throw new Error(`custom-elements manifest: no class in ${EVENTS_MODULE} for the "${event.name}" event of <${decl.tagName}>`);
              event.type = { text: cls.name, references: [{ name: cls.name, module: EVENTS_MODULE, start: 0, end: cls.name.length }] };
              event.description = `detail: \`${cls.detail}\`${event.description ? `. ${event.description}` : ''}`;
            }
          }
        }
      },
    },
    {
      // lit's internal reactive state (`errorMessage`, `statusMessage`:
      // `state: true`, private) is listed as attributes by the analyzer; no
      // HTML author can set them. Keep attributes of public fields only.
      name: 'public-attributes-only',
      packageLinkPhase({ customElementsManifest }) {
        for (const mod of customElementsManifest.modules) {
          for (const decl of mod.declarations ?? []) {
            if (!decl.attributes) continue;
            const hidden = new Set((decl.members ?? []).filter((m) => m.privacy === 'private' || m.privacy === 'protected' || m.name.startsWith('#')).map((m) => m.name));
            decl.attributes = decl.attributes.filter((a) => !hidden.has(a.fieldName ?? a.name));
          }
        }
      },
    },
  ],
};
