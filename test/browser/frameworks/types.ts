// What the framework test apps expose to the tests.
export interface AppLog {
  joined: string[];
  remoteStreams: string[];
  peerLeaves: string[];
}

export interface AppProps {
  roomid: string;
  userid: string;
  name: string;
}

export interface MountedApp {
  /** Re-render with a new display name (a property update from the framework). */
  rename(name: string): void;
  unmount(): void;
}

export type Mount = (container: HTMLElement, props: AppProps, log: AppLog) => MountedApp;
