export default (mods) => ({ name: 'v', resolveId(id) { return id in mods ? '\0v:' + id : null; }, load(id) { return id.startsWith('\0v:') ? mods[id.slice(3)] : null; } });
