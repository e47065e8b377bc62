/*
 * RTCPeerConnection plumbing: ICE server list, the microphone track, waiting
 * for ICE gathering (no trickle ICE), the peer's state, closing it, the lost-
 * connection timer, and the stats loop that fills interviewDebug.remoteAudio.
 */

import { setInterviewerState } from './captions.js';
import { debug } from './debug.js';
import { app } from './state.js';

const STATS_INTERVAL_MS = 1000;

export function sanitizeIceServers(list) {
  if (!Array.isArray(list)) return [];
  return list
    .filter((server) => server && (typeof server.urls === 'string' || Array.isArray(server.urls)))
    .map((server) => {
      const out = { urls: server.urls };
      if (server.username != null) out.username = server.username;
      if (server.credential != null) out.credential = server.credential;
      return out;
    });
}

export function addMicTrack(pc) {
  const stream = app.micStream;
  const track = stream.getAudioTracks()[0];
  if (typeof pc.addTransceiver === 'function') {
    try {
      pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] });
      return;
    } catch { /* fall back to addTrack */ }
  }
  pc.addTrack(track, stream);
}

export function waitForIceGathering(pc, timeoutMs) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    let done = false;
    function finish() {
      if (done) return;
      done = true;
      window.clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', onState);
      pc.removeEventListener('icecandidate', onCandidate);
      resolve();
    }
    function onState() {
      if (pc.iceGatheringState === 'complete') finish();
    }
    function onCandidate(event) {
      if (!event.candidate) finish();
    }
    const timer = window.setTimeout(finish, timeoutMs);
    pc.addEventListener('icegatheringstatechange', onState);
    pc.addEventListener('icecandidate', onCandidate);
  });
}

export function peerState(pc) {
  if (typeof pc.connectionState === 'string') return pc.connectionState;
  switch (pc.iceConnectionState) {
    case 'checking': return 'connecting';
    case 'completed': return 'connected';
    default: return pc.iceConnectionState;
  }
}

export function clearLostTimer() {
  if (app.lostTimer) window.clearTimeout(app.lostTimer);
  app.lostTimer = null;
}

export function closePeer() {
  stopStatsLoop();
  const pc = app.pc;
  const channel = app.channel;
  app.pc = null;
  app.channel = null;
  if (channel) {
    try { channel.close(); } catch { /* ignore */ }
  }
  if (pc) {
    try { pc.close(); } catch { /* ignore */ }
    debug.connectionState = 'closed';
  }
  setInterviewerState(null);
}

export function startStatsLoop(pc) {
  stopStatsLoop();
  app.statsTimer = window.setInterval(() => {
    collectStats(pc);
  }, STATS_INTERVAL_MS);
}

function stopStatsLoop() {
  if (app.statsTimer) window.clearInterval(app.statsTimer);
  app.statsTimer = null;
}

async function collectStats(pc) {
  if (pc !== app.pc || typeof pc.getStats !== 'function') return;
  let report;
  try {
    report = await pc.getStats();
  } catch {
    return;
  }
  report.forEach((stat) => {
    if (stat.type !== 'inbound-rtp') return;
    const kind = stat.kind || stat.mediaType;
    if (kind !== 'audio') return;
    debug.remoteAudio = {
      bytesReceived: stat.bytesReceived || 0,
      packetsReceived: stat.packetsReceived || 0,
      totalAudioEnergy: typeof stat.totalAudioEnergy === 'number' ? stat.totalAudioEnergy : 0,
    };
  });
}
