// Just enough SDP reading to enforce two rules on relayed signals:
// a user without the `publish` permission may not negotiate sending audio or
// video, and under a relay-only policy no ICE candidate but `typ relay` may
// reach a peer. Anything this cannot read counts as breaking the rule.

const DIRECTIONS = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

/**
 * True when the description offers or accepts to *send* audio or video: an
 * `m=audio` / `m=video` section with a non-zero port whose direction
 * (its own `a=` line, else the session's, else sendrecv: RFC 4566 §6) is
 * sendrecv or sendonly.
 */
export function sendsMedia(sdp: string): boolean {
  const lines = sdp.split(/\r?\n/);
  let sessionDirection = 'sendrecv';
  let section: { media: boolean; direction: string | undefined } | null = null;
  const sends = (s: { media: boolean; direction: string | undefined }) => {
    const direction = s.direction ?? sessionDirection;
    return s.media && (direction === 'sendrecv' || direction === 'sendonly');
  };
  for (const line of lines) {
    if (line.startsWith('m=')) {
      if (section && sends(section)) return true;
      const [kind, port] = line.slice(2).split(' ');
      // Port 0 is a rejected (or stopped) section: nothing flows on it.
      const media = (kind === 'audio' || kind === 'video') && port !== '0' && !/^0\//.test(port ?? '');
      section = { media, direction: undefined };
    } else if (line.startsWith('a=')) {
      const attr = line.slice(2).trim();
      if (DIRECTIONS.has(attr)) {
        if (section) section.direction = attr;
        else sessionDirection = attr;
      }
    }
  }
  return !!section && sends(section);
}

/** The `typ` of an ICE candidate line (`candidate:…` or `a=candidate:…`), or undefined if unreadable. */
export function candidateType(line: string): string | undefined {
  const fields = line.trim().split(/\s+/);
  const i = fields.indexOf('typ');
  return i >= 0 ? fields[i + 1] : undefined;
}

/** A trickled candidate that would reveal an address under relay-only ('' = end of candidates, allowed). */
export function isNonRelayCandidate(candidate: string): boolean {
  if (candidate.trim() === '') return false;
  return candidateType(candidate) !== 'relay';
}

/** An SDP carrying any `a=candidate` line that is not `typ relay`. */
export function sdpHasNonRelayCandidate(sdp: string): boolean {
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('a=candidate:') && candidateType(line) !== 'relay') return true;
  }
  return false;
}

/**
 * The stream ids a description names for the sender's tracks (`a=msid:<id>
 * <track>`, and the older `a=ssrc:<n> msid:<id> <track>`), without `-` (a
 * track in no stream). A peer keys remote streams by these ids.
 */
export function sdpStreamIds(sdp: string): string[] {
  const ids = new Set<string>();
  for (const m of sdp.matchAll(/^a=(?:msid:|ssrc:\d+ msid:)(\S+)/gm)) {
    if (m[1] !== '-') ids.add(m[1]!);
  }
  return [...ids];
}
