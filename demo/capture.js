// <media-capture> demo: logs every event the elements fire.
const log = document.getElementById('log');
for (const type of ['stream', 'stream-end', 'capture-error', 'mute-change', 'track-change']) {
  document.addEventListener(type, (e) => {
    const d = { ...e.detail };
    if (d.stream) d.stream = `MediaStream(${d.stream.id})`;
    if (d.mediaElement) d.mediaElement = '<video>';
    for (const k of ['oldTrack', 'newTrack']) if (d[k]) d[k] = `${d[k].kind} track`;
    log.textContent = `${type} ${JSON.stringify(d)}\n` + log.textContent;
  });
}
