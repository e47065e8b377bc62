/*
 * The test hook: `window.interviewDebug`, the only global the join page sets.
 * Browser tests and benchmarks read it (phase, micReady, captions, transcripts,
 * events received and sent, connection state, remote audio counters, ended,
 * and the transport: 'webrtc', or 'websocket' once the page fell back).
 */

export const debug = {
  state: {},
  phase: 'loading',
  interviewerState: null,
  captions: [],
  transcripts: [],
  events: [],
  sent: [],
  connectionState: 'new',
  transport: 'webrtc',
  micReady: false,
  ended: null,
  remoteAudio: { bytesReceived: 0, packetsReceived: 0, totalAudioEnergy: 0 },
};

window.interviewDebug = debug;
