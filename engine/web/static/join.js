/*
 * Candidate join page: consent, microphone check, WebRTC call with the
 * interview engine, live captions and a clean hang-up.
 *
 * Plain ES2020, no dependencies. Server strings are only ever written with
 * textContent.
 */
(function () {
  'use strict';

  const ICE_GATHER_TIMEOUT_MS = 3000;
  const LOST_AFTER_MS = 5000;
  const CONFIRM_END_RESET_MS = 8000;
  const STATS_INTERVAL_MS = 1000;
  const MAX_CAPTION_LINES = 3;
  const MAX_TRANSCRIPT_LINES = 4;
  const AUDIO_CONSTRAINTS = {
    audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    video: false,
  };

  // ---------------------------------------------------------------------------
  // Debug hooks for automated tests.
  const debug = {
    state: {},
    phase: 'loading',
    interviewerState: null,
    captions: [],
    transcripts: [],
    events: [],
    sent: [],
    connectionState: 'new',
    micReady: false,
    ended: null,
    remoteAudio: { bytesReceived: 0, packetsReceived: 0, totalAudioEnergy: 0 },
  };
  window.interviewDebug = debug;

  // ---------------------------------------------------------------------------
  // Page state.
  const token = tokenFromPath(window.location.pathname);
  const base = '/join/' + encodeURIComponent(token);

  const app = {
    info: null,
    micStream: null,
    meter: null,
    pc: null,
    channel: null,
    lostTimer: null,
    statsTimer: null,
    clockTimer: null,
    confirmTimer: null,
    callStartedAt: null,
    connecting: false,
    ended: false,
    interviewerPartial: null,
    candidatePartial: null,
  };

  const el = {};

  function $(id) {
    return document.getElementById(id);
  }

  function tokenFromPath(pathname) {
    const parts = pathname.split('/').filter(Boolean);
    return parts.length ? decodeURIComponent(parts[parts.length - 1]) : '';
  }

  // ---------------------------------------------------------------------------
  // Screens and notices.

  const SCREENS = ['screen-loading', 'screen-setup', 'screen-call', 'screen-ended'];

  function showScreen(name, focusId) {
    SCREENS.forEach(function (id) {
      $(id).hidden = id !== name;
    });
    debug.phase = name.replace('screen-', '');
    if (focusId) {
      const target = $(focusId);
      if (target) target.focus({ preventScroll: false });
    }
  }

  function hideAllScreens() {
    SCREENS.forEach(function (id) {
      $(id).hidden = true;
    });
  }

  /** Show a page-level notice. opts: {kind, title, text, retryMic, retryLoad} */
  function showNotice(opts) {
    el.notice.dataset.kind = opts.kind || 'info';
    el.messageTitle.textContent = opts.title || '';
    el.messageTitle.hidden = !opts.title;
    el.message.textContent = opts.text || '';
    el.retryMic.hidden = !opts.retryMic;
    el.retryLoad.hidden = !opts.retryLoad;
    el.notice.hidden = false;
  }

  function clearNotice() {
    el.notice.hidden = true;
    el.messageTitle.textContent = '';
    el.message.textContent = '';
    el.retryMic.hidden = true;
    el.retryLoad.hidden = true;
  }

  /** Replace the whole page with a blocking message (invalid link, not joinable). */
  function showBlocked(title, text, retryLoad) {
    hideAllScreens();
    debug.phase = 'blocked';
    showNotice({ kind: 'blocked', title: title, text: text, retryLoad: !!retryLoad });
    el.main.focus();
  }

  // ---------------------------------------------------------------------------
  // HTTP helpers.

  async function requestJson(url, options) {
    let response;
    try {
      response = await fetch(url, Object.assign({ credentials: 'same-origin', cache: 'no-store' }, options));
    } catch (err) {
      return { ok: false, status: 0, body: null, error: { code: 'network', message: '' } };
    }
    let body = null;
    try {
      body = await response.json();
    } catch (err) {
      body = null;
    }
    const error = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : null;
    return { ok: response.ok, status: response.status, body: body, error: error };
  }

  function errorMessage(result, fallback) {
    if (result.error && typeof result.error.message === 'string' && result.error.message) {
      return result.error.message;
    }
    return fallback;
  }

  // ---------------------------------------------------------------------------
  // Initial state.

  const STATUS_TITLES = {
    completed: 'This interview is already complete — thank you',
    cancelled: 'This interview has been cancelled',
    expired: 'This interview link has expired',
    failed: 'This interview could not be completed',
    in_progress: 'This interview is already in progress',
    scheduled: 'This interview is not available yet',
  };

  const STATUS_TEXTS = {
    completed: 'Your answers have been received. There is nothing more to do here.',
    cancelled: 'Please contact the person who invited you if you think this is a mistake.',
    expired: 'Please contact the person who invited you to ask for a new link.',
    failed: 'Something went wrong with this interview. Please contact the person who invited you.',
    in_progress: 'It may be open in another window or on another device.',
    scheduled: 'Please try again later.',
  };

  async function loadState() {
    clearNotice();
    showScreen('screen-loading');
    if (!token) {
      showBlocked('This link is not valid', 'Please check that you copied the whole link from your invitation.');
      return;
    }
    const result = await requestJson(base + '/state', { method: 'GET', headers: { Accept: 'application/json' } });
    if (result.status === 404) {
      showBlocked('This link is not valid', 'Please check that you copied the whole link from your invitation.');
      return;
    }
    if (!result.ok || !result.body || typeof result.body !== 'object') {
      const text = result.status === 0
        ? 'We could not reach the interview server. Check your internet connection and try again.'
        : errorMessage(result, 'The interview could not be loaded. Please try again in a moment.');
      showBlocked('Something went wrong', text, true);
      return;
    }
    const info = result.body;
    app.info = info;
    debug.state = info;
    if (info.interview_title) document.title = info.interview_title + ' — Interview';

    if (!info.joinable) {
      const status = String(info.status || '');
      const title = STATUS_TITLES[status] || 'This interview is not available';
      const text = info.message || STATUS_TEXTS[status] || '';
      showBlocked(title, text);
      return;
    }
    renderSetup(info);
  }

  function renderSetup(info) {
    el.welcomeBack.hidden = !info.resume;
    $('interview-title').textContent = info.interview_title || 'Interview';
    $('call-title').textContent = info.interview_title || 'Interview';
    $('interviewer-name').textContent = info.interviewer_name || 'AI interviewer';
    if (info.candidate_name) {
      $('candidate-name').textContent = info.candidate_name;
      $('fact-candidate').hidden = false;
    }
    if (typeof info.duration_minutes === 'number' && info.duration_minutes > 0) {
      $('duration').textContent = 'About ' + info.duration_minutes + ' minute' + (info.duration_minutes === 1 ? '' : 's');
      $('fact-duration').hidden = false;
      $('timer-total').textContent = ' / ~' + info.duration_minutes + ' min';
    }
    $('recording-notice').textContent = info.recording_notice || 'This interview is recorded and transcribed.';
    el.start.textContent = info.resume ? 'Continue interview' : 'Start interview';
    updateSetupButtons();
    showScreen('screen-setup', 'interview-title');
  }

  // ---------------------------------------------------------------------------
  // Consent and microphone check.

  function updateSetupButtons() {
    const consent = el.consent.checked;
    el.checkMic.disabled = !consent || app.connecting;
    el.start.disabled = !consent || !app.micStream || app.connecting;
    el.checkMic.textContent = app.micStream ? 'Microphone ready' : 'Check microphone';
    if (app.micStream) el.checkMic.disabled = true;
    $('mic-hint').hidden = consent;
  }

  function onConsentChange() {
    if (!el.consent.checked) {
      // Consent withdrawn before the call: stop capturing immediately.
      releaseMic();
      clearNotice();
    }
    updateSetupButtons();
  }

  function micSupported() {
    return !!(navigator.mediaDevices && typeof navigator.mediaDevices.getUserMedia === 'function');
  }

  async function checkMic() {
    if (!el.consent.checked) return;
    clearNotice();
    if (!micSupported()) {
      showNotice({
        kind: 'error',
        title: 'Microphone not available',
        text: window.isSecureContext === false
          ? 'The microphone can only be used on a secure (https) page. Please open the link exactly as it was sent to you.'
          : 'This browser cannot use a microphone. Please use a recent version of Chrome, Edge, Firefox or Safari.',
      });
      return;
    }
    el.checkMic.disabled = true;
    el.checkMic.textContent = 'Waiting for permission…';
    $('mic-feedback').textContent = 'Your browser may ask for permission to use the microphone.';
    let stream;
    try {
      stream = await getMicStream();
    } catch (err) {
      $('mic-feedback').textContent = '';
      handleMicError(err);
      updateSetupButtons();
      return;
    }
    if (!el.consent.checked) {
      // Consent was withdrawn while the permission prompt was open.
      stopStream(stream);
      updateSetupButtons();
      return;
    }
    setMicStream(stream);
    $('mic-feedback').textContent = 'Microphone is on. Say a few words — the bar should move.';
    updateSetupButtons();
    el.start.focus();
  }

  async function getMicStream() {
    try {
      return await navigator.mediaDevices.getUserMedia(AUDIO_CONSTRAINTS);
    } catch (err) {
      if (err && (err.name === 'OverconstrainedError' || err.name === 'ConstraintNotSatisfiedError')) {
        return navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      }
      throw err;
    }
  }

  function handleMicError(err) {
    const name = err && err.name ? err.name : '';
    if (name === 'NotAllowedError' || name === 'PermissionDeniedError' || name === 'SecurityError') {
      showNotice({
        kind: 'error',
        title: 'Microphone access is blocked',
        text: 'To allow it, click the lock or site-settings icon next to the address bar, set "Microphone" to "Allow", ' +
          'then press "Try microphone again". On a phone, also check that your browser app is allowed to use the microphone ' +
          'in the system settings.',
        retryMic: true,
      });
    } else if (name === 'NotFoundError' || name === 'DevicesNotFoundError') {
      showNotice({
        kind: 'error',
        title: 'No microphone found',
        text: 'Please connect a microphone or headset, then press "Try microphone again".',
        retryMic: true,
      });
    } else if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') {
      showNotice({
        kind: 'error',
        title: 'The microphone could not be started',
        text: 'It may be in use by another application (for example a video call). Close it, then press "Try microphone again".',
        retryMic: true,
      });
    } else {
      showNotice({
        kind: 'error',
        title: 'The microphone could not be started',
        text: 'Please check your microphone and browser settings, then press "Try microphone again".' +
          (name ? ' (' + name + ')' : ''),
        retryMic: true,
      });
    }
    el.retryMic.focus();
  }

  function setMicStream(stream) {
    app.micStream = stream;
    debug.micReady = true;
    stream.getAudioTracks().forEach(function (track) {
      track.addEventListener('ended', onMicTrackEnded);
    });
    startMeter(stream);
  }

  function onMicTrackEnded() {
    if (app.ended) return;
    if (app.pc) {
      showNotice({
        kind: 'error',
        title: 'Your microphone stopped',
        text: 'The microphone was disconnected or switched off. Reconnect it and press "Reconnect".',
      });
      releaseMic();
      el.reconnect.hidden = false;
      return;
    }
    releaseMic();
    showNotice({
      kind: 'error',
      title: 'Your microphone stopped',
      text: 'The microphone was disconnected or switched off. Press "Try microphone again".',
      retryMic: true,
    });
    updateSetupButtons();
  }

  function stopStream(stream) {
    if (!stream) return;
    stream.getTracks().forEach(function (track) {
      track.removeEventListener('ended', onMicTrackEnded);
      track.stop();
    });
  }

  function releaseMic() {
    stopMeter();
    stopStream(app.micStream);
    app.micStream = null;
    debug.micReady = false;
    $('mic-feedback').textContent = '';
  }

  // ---------------------------------------------------------------------------
  // Level meter (AudioContext + AnalyserNode, RMS).

  function startMeter(stream) {
    stopMeter();
    const Ctx = window.AudioContext || window.webkitAudioContext;
    el.levelMeter.dataset.active = 'true';
    if (!Ctx) return;
    let ctx;
    try {
      ctx = new Ctx();
    } catch (err) {
      return;
    }
    const source = ctx.createMediaStreamSource(stream);
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 1024;
    source.connect(analyser);
    const useFloat = typeof analyser.getFloatTimeDomainData === 'function';
    const buffer = useFloat ? new Float32Array(analyser.fftSize) : new Uint8Array(analyser.fftSize);
    const meter = { ctx: ctx, source: source, analyser: analyser, frame: 0, lastAria: 0, heard: false };
    app.meter = meter;
    if (ctx.state === 'suspended' && typeof ctx.resume === 'function') ctx.resume().catch(function () {});

    function tick(now) {
      if (app.meter !== meter) return;
      let sum = 0;
      if (useFloat) {
        analyser.getFloatTimeDomainData(buffer);
        for (let i = 0; i < buffer.length; i++) sum += buffer[i] * buffer[i];
      } else {
        analyser.getByteTimeDomainData(buffer);
        for (let i = 0; i < buffer.length; i++) {
          const v = (buffer[i] - 128) / 128;
          sum += v * v;
        }
      }
      const rms = Math.sqrt(sum / buffer.length);
      const db = rms > 0 ? 20 * Math.log10(rms) : -100;
      const level = Math.max(0, Math.min(1, (db + 60) / 60));
      renderLevel(level, now, meter);
      meter.frame = window.requestAnimationFrame(tick);
    }
    meter.frame = window.requestAnimationFrame(tick);
  }

  function renderLevel(level, now, meter) {
    el.levelFill.style.transform = 'scaleX(' + level.toFixed(3) + ')';
    if (now - meter.lastAria > 500) {
      meter.lastAria = now;
      el.levelMeter.setAttribute('aria-valuenow', String(Math.round(level * 100)));
    }
    if (!meter.heard && level > 0.45) {
      meter.heard = true;
      if (!app.pc) $('mic-feedback').textContent = 'We can hear you. Your microphone is working.';
    }
  }

  function stopMeter() {
    const meter = app.meter;
    app.meter = null;
    el.levelFill.style.transform = 'scaleX(0)';
    el.levelMeter.setAttribute('aria-valuenow', '0');
    el.levelMeter.dataset.active = 'false';
    if (!meter) return;
    window.cancelAnimationFrame(meter.frame);
    try {
      meter.source.disconnect();
    } catch (err) { /* already disconnected */ }
    if (meter.ctx && meter.ctx.state !== 'closed') meter.ctx.close().catch(function () {});
  }

  // ---------------------------------------------------------------------------
  // Remote audio (autoplay policy: play() is primed inside click handlers).

  function primeRemoteAudio() {
    const audio = el.remoteAudio;
    if (!audio.srcObject && typeof MediaStream === 'function') audio.srcObject = new MediaStream();
    playRemoteAudio();
  }

  function playRemoteAudio() {
    const audio = el.remoteAudio;
    let promise;
    try {
      promise = audio.play();
    } catch (err) {
      return;
    }
    if (promise && typeof promise.then === 'function') {
      promise.then(function () {
        el.enableAudio.hidden = true;
      }).catch(function (err) {
        if (err && err.name === 'NotAllowedError' && !app.ended) el.enableAudio.hidden = false;
      });
    }
  }

  function onRemoteTrack(event, pc) {
    if (pc !== app.pc) return;
    const audio = el.remoteAudio;
    const stream = event.streams && event.streams[0] ? event.streams[0] : new MediaStream([event.track]);
    if (audio.srcObject !== stream) audio.srcObject = stream;
    playRemoteAudio();
  }

  // ---------------------------------------------------------------------------
  // Call setup.

  async function startInterview() {
    if (app.connecting || !el.consent.checked || !app.micStream) return;
    if (typeof window.RTCPeerConnection !== 'function') {
      showNotice({
        kind: 'error',
        title: 'Your browser is not supported',
        text: 'Please open this link in a recent version of Chrome, Edge, Firefox or Safari.',
      });
      return;
    }
    primeRemoteAudio();
    clearNotice();
    el.consent.disabled = true;
    $('call-mic-slot').appendChild($('mic-panel'));
    showScreen('screen-call', 'call-title');
    await connect();
  }

  async function connect() {
    if (app.connecting || app.ended) return;
    if (!app.micStream) {
      showNotice({
        kind: 'error',
        title: 'Microphone needed',
        text: 'The microphone is not available. Reload the page to check it again.',
        retryLoad: true,
      });
      return;
    }
    app.connecting = true;
    try {
      await negotiate();
    } finally {
      app.connecting = false;
    }
  }

  /** One full offer/answer round: new peer connection, mic track, data channel. */
  async function negotiate() {
    el.reconnect.hidden = true;
    clearLostTimer();
    closePeer();
    setConnection('connecting');

    let pc;
    try {
      pc = new RTCPeerConnection({ iceServers: sanitizeIceServers(app.info && app.info.ice_servers) });
    } catch (err) {
      connectFailed('The connection could not be set up (' + (err && err.name ? err.name : 'error') + ').');
      return;
    }
    app.pc = pc;
    debug.connectionState = peerState(pc);
    wirePeer(pc);
    addMicTrack(pc);
    wireChannel(pc.createDataChannel('events', { ordered: true }), pc);

    let answer;
    try {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      await waitForIceGathering(pc, ICE_GATHER_TIMEOUT_MS);
      if (pc !== app.pc) return;
      answer = await postOffer(pc.localDescription);
    } catch (err) {
      if (pc === app.pc) connectFailed('The connection could not be set up. Please try again.');
      return;
    }
    if (pc !== app.pc) return;
    if (!answer.ok) {
      handleOfferError(answer.result);
      return;
    }
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    } catch (err) {
      if (pc === app.pc) connectFailed('The server answer could not be used. Please try again.');
      return;
    }
    if (pc === app.pc) startStatsLoop(pc);
  }

  function addMicTrack(pc) {
    const stream = app.micStream;
    const track = stream.getAudioTracks()[0];
    if (typeof pc.addTransceiver === 'function') {
      try {
        pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] });
        return;
      } catch (err) { /* fall back to addTrack */ }
    }
    pc.addTrack(track, stream);
  }

  function sanitizeIceServers(list) {
    if (!Array.isArray(list)) return [];
    return list.filter(function (server) {
      return server && (typeof server.urls === 'string' || Array.isArray(server.urls));
    }).map(function (server) {
      const out = { urls: server.urls };
      if (server.username != null) out.username = server.username;
      if (server.credential != null) out.credential = server.credential;
      return out;
    });
  }

  function waitForIceGathering(pc, timeoutMs) {
    if (pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise(function (resolve) {
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

  async function postOffer(description) {
    const result = await requestJson(base + '/offer', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ sdp: description.sdp, type: 'offer', consent: true }),
    });
    if (result.ok && result.body && typeof result.body.sdp === 'string') {
      return { ok: true, sdp: result.body.sdp };
    }
    return { ok: false, result: result };
  }

  function handleOfferError(result) {
    const status = result.status;
    if (status === 404) {
      teardownCall();
      showBlocked('This link is not valid', errorMessage(result, 'Please check that you copied the whole link from your invitation.'));
    } else if (status === 409) {
      teardownCall();
      showBlocked('This interview is not available', errorMessage(result, 'This interview can no longer be joined.'));
    } else if (status === 403) {
      connectFailed(errorMessage(result, 'Please agree to the recording notice before starting.'));
    } else if (status === 503) {
      connectFailed(errorMessage(result, 'The interview service is busy right now.') + ' Please wait a minute and press "Reconnect".');
    } else if (status === 0) {
      connectFailed('We could not reach the interview server. Check your internet connection and press "Reconnect".');
    } else {
      connectFailed(errorMessage(result, 'The connection could not be set up.') + ' Please press "Reconnect" to try again.');
    }
  }

  function connectFailed(text) {
    closePeer();
    setConnection('lost');
    showNotice({ kind: 'error', title: 'Could not connect', text: text });
    el.reconnect.hidden = false;
    el.reconnect.focus();
  }

  // ---------------------------------------------------------------------------
  // Peer connection state.

  function peerState(pc) {
    if (typeof pc.connectionState === 'string') return pc.connectionState;
    switch (pc.iceConnectionState) {
      case 'checking': return 'connecting';
      case 'completed': return 'connected';
      default: return pc.iceConnectionState;
    }
  }

  function wirePeer(pc) {
    pc.addEventListener('track', function (event) {
      onRemoteTrack(event, pc);
    });
    const onChange = function () {
      if (pc !== app.pc) return;
      onPeerState(peerState(pc));
    };
    if ('onconnectionstatechange' in pc) pc.addEventListener('connectionstatechange', onChange);
    pc.addEventListener('iceconnectionstatechange', onChange);
  }

  function onPeerState(state) {
    debug.connectionState = state;
    if (app.ended) return;
    if (state === 'connected') {
      clearLostTimer();
      el.reconnect.hidden = true;
      if (el.notice.dataset.kind === 'error') clearNotice();
      setConnection('connected');
      if (app.callStartedAt === null) startClock();
    } else if (state === 'disconnected' || state === 'failed') {
      setConnection('reconnecting');
      if (!app.lostTimer) {
        app.lostTimer = window.setTimeout(onConnectionLost, LOST_AFTER_MS);
      }
    } else if (state === 'connecting' || state === 'new') {
      setConnection('connecting');
    }
  }

  function onConnectionLost() {
    app.lostTimer = null;
    if (app.ended || !app.pc) return;
    const state = peerState(app.pc);
    if (state === 'connected') return;
    closePeer();
    setConnection('lost');
    showNotice({
      kind: 'error',
      title: 'Connection lost',
      text: 'Check your internet connection, then press "Reconnect". You will continue where you left off.',
    });
    el.reconnect.hidden = false;
    el.reconnect.focus();
  }

  function clearLostTimer() {
    if (app.lostTimer) window.clearTimeout(app.lostTimer);
    app.lostTimer = null;
  }

  const CONNECTION_TEXT = {
    idle: '',
    connecting: 'Connecting…',
    connected: 'Connected',
    reconnecting: 'Reconnecting…',
    lost: 'Connection lost',
    ended: 'Ended',
  };

  function setConnection(state) {
    el.connection.dataset.state = state;
    el.connection.textContent = CONNECTION_TEXT[state] || state;
    el.connection.hidden = state === 'idle';
  }

  function closePeer() {
    stopStatsLoop();
    const pc = app.pc;
    const channel = app.channel;
    app.pc = null;
    app.channel = null;
    if (channel) {
      try { channel.close(); } catch (err) { /* ignore */ }
    }
    if (pc) {
      try { pc.close(); } catch (err) { /* ignore */ }
      debug.connectionState = 'closed';
    }
    setInterviewerState(null);
  }

  // ---------------------------------------------------------------------------
  // Data channel.

  function wireChannel(channel, pc) {
    app.channel = channel;
    channel.addEventListener('open', function () {
      if (pc !== app.pc) return;
      sendEvent({ type: 'visibility', hidden: document.hidden === true });
      sendEvent({ type: 'focus', focused: document.hasFocus() });
      reportDelay(pc);
    });
    channel.addEventListener('message', function (event) {
      if (pc !== app.pc) return;
      onChannelMessage(event.data);
    });
  }

  // The engine lines the recording's two channels up as the candidate heard and spoke them: it needs
  // the network round trip and how long this browser holds the interviewer's audio before playing it.
  function reportDelay(pc) {
    let last = null;
    function tick() {
      if (pc !== app.pc) return;
      pc.getStats().then(function (stats) {
        let rtt = null;
        let held = null;
        stats.forEach(function (s) {
          if (s.type === 'candidate-pair' && s.nominated && typeof s.currentRoundTripTime === 'number') {
            rtt = s.currentRoundTripTime;
          }
          if (s.type === 'inbound-rtp' && s.kind === 'audio' && typeof s.jitterBufferDelay === 'number') {
            held = { delay: s.jitterBufferDelay, count: s.jitterBufferEmittedCount || 0 };
          }
        });
        if (held && last && held.count > last.count) {
          const playout = (held.delay - last.delay) / (held.count - last.count);
          sendEvent({ type: 'delay', rtt_ms: Math.round((rtt || 0) * 1000), playout_ms: Math.round(playout * 1000) });
        }
        if (held) last = held;
      }).catch(function () { /* stats are best effort */ });
      window.setTimeout(tick, 2000);
    }
    tick();
  }

  function sendEvent(message) {
    const channel = app.channel;
    if (!channel || channel.readyState !== 'open') return false;
    try {
      channel.send(JSON.stringify(message));
    } catch (err) {
      return false;
    }
    debug.sent.push(message);
    return true;
  }

  function onChannelMessage(data) {
    if (typeof data !== 'string') return;
    let message;
    try {
      message = JSON.parse(data);
    } catch (err) {
      return;
    }
    if (!message || typeof message !== 'object') return;
    debug.events.push(message);
    switch (message.type) {
      case 'state':
        setInterviewerState(message.state);
        break;
      case 'caption':
        debug.captions.push(message);
        renderLine(el.captions, 'interviewerPartial', message, MAX_CAPTION_LINES);
        break;
      case 'transcript':
        debug.transcripts.push(message);
        renderLine(el.transcript, 'candidatePartial', message, MAX_TRANSCRIPT_LINES);
        break;
      case 'ended':
        finish(message.reason, message.message);
        break;
      default:
        break;
    }
  }

  const INTERVIEWER_TEXT = {
    listening: 'Listening to you',
    thinking: 'Thinking…',
    speaking: 'Speaking',
  };

  function setInterviewerState(state) {
    const known = Object.prototype.hasOwnProperty.call(INTERVIEWER_TEXT, state);
    debug.interviewerState = known ? state : null;
    el.status.dataset.state = known ? state : 'idle';
    $('status-text').textContent = known
      ? INTERVIEWER_TEXT[state]
      : (app.ended ? 'Interview ended' : 'Waiting for the interviewer…');
  }

  /**
   * Partial lines are updated in place (hidden from screen readers to avoid
   * chatter); a final line replaces the partial and is announced once.
   */
  function renderLine(container, partialKey, message, maxLines) {
    const text = typeof message.text === 'string' ? message.text.trim() : '';
    let partial = app[partialKey];
    if (message.final) {
      if (partial) {
        partial.remove();
        app[partialKey] = null;
      }
      if (text) {
        const line = document.createElement('p');
        line.className = 'line line-final';
        line.textContent = text;
        container.appendChild(line);
      }
    } else if (text) {
      if (!partial) {
        partial = document.createElement('p');
        partial.className = 'line line-partial';
        partial.setAttribute('aria-hidden', 'true');
        app[partialKey] = partial;
      }
      partial.textContent = text;
      container.appendChild(partial); // keep it last
    }
    trimLines(container, maxLines);
    container.scrollTop = container.scrollHeight;
  }

  function trimLines(container, maxLines) {
    const finals = container.querySelectorAll('.line-final');
    for (let i = 0; i < finals.length - maxLines; i++) finals[i].remove();
  }

  // ---------------------------------------------------------------------------
  // Timer and stats.

  function startClock() {
    app.callStartedAt = Date.now();
    renderClock();
    app.clockTimer = window.setInterval(renderClock, 1000);
  }

  function renderClock() {
    if (app.callStartedAt === null) return;
    const total = Math.max(0, Math.floor((Date.now() - app.callStartedAt) / 1000));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    const pad = function (n) { return (n < 10 ? '0' : '') + n; };
    $('timer').textContent = h > 0 ? h + ':' + pad(m) + ':' + pad(s) : m + ':' + pad(s);
  }

  function stopClock() {
    if (app.clockTimer) window.clearInterval(app.clockTimer);
    app.clockTimer = null;
  }

  function startStatsLoop(pc) {
    stopStatsLoop();
    app.statsTimer = window.setInterval(function () {
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
    } catch (err) {
      return;
    }
    report.forEach(function (stat) {
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

  // ---------------------------------------------------------------------------
  // Ending.

  function onEndClick() {
    el.end.hidden = true;
    el.confirmEnd.hidden = false;
    el.cancelEnd.hidden = false;
    el.confirmEnd.focus();
    if (app.confirmTimer) window.clearTimeout(app.confirmTimer);
    app.confirmTimer = window.setTimeout(resetEndButtons, CONFIRM_END_RESET_MS);
  }

  function resetEndButtons() {
    if (app.confirmTimer) window.clearTimeout(app.confirmTimer);
    app.confirmTimer = null;
    const hadFocus = document.activeElement === el.confirmEnd || document.activeElement === el.cancelEnd;
    el.confirmEnd.hidden = true;
    el.cancelEnd.hidden = true;
    el.end.hidden = false;
    if (hadFocus) el.end.focus();
  }

  async function onConfirmEnd() {
    if (app.ended) return;
    el.confirmEnd.disabled = true;
    const channel = app.channel;
    if (sendEvent({ type: 'hangup' })) await waitForDrain(channel, 1000);
    finish('hangup', '');
  }

  function waitForDrain(channel, timeoutMs) {
    return new Promise(function (resolve) {
      const started = Date.now();
      (function poll() {
        if (!channel || channel.readyState !== 'open' || channel.bufferedAmount === 0 || Date.now() - started > timeoutMs) {
          resolve();
          return;
        }
        window.setTimeout(poll, 50);
      })();
    });
  }

  const ENDED_TEXT = {
    completed: 'The interview is complete. Thank you for your time — your answers have been received.',
    hangup: 'You ended the interview. Thank you for your time.',
    error: 'The interview ended because of a problem on our side. We are sorry for the inconvenience.',
  };

  function finish(reason, message) {
    if (app.ended) return;
    app.ended = true;
    debug.ended = { reason: reason || 'completed', message: message || '' };
    clearLostTimer();
    if (app.confirmTimer) window.clearTimeout(app.confirmTimer);
    teardownCall();
    setConnection('ended');
    setInterviewerState(null);
    clearNotice();
    $('ended-title').textContent = reason === 'error' ? 'The interview has ended' : 'Thank you';
    const text = [ENDED_TEXT[reason] || ENDED_TEXT.completed];
    if (message && message !== text[0]) text.push(message);
    $('ended-message').textContent = text.join(' ');
    showScreen('screen-ended', 'ended-title');
  }

  function teardownCall() {
    closePeer();
    stopClock();
    releaseMic();
    el.enableAudio.hidden = true;
    el.reconnect.hidden = true;
    const audio = el.remoteAudio;
    try { audio.pause(); } catch (err) { /* ignore */ }
    audio.srcObject = null;
  }

  // ---------------------------------------------------------------------------
  // Wiring.

  function onVisibilityChange() {
    sendEvent({ type: 'visibility', hidden: document.hidden === true });
  }

  function bind() {
    [
      ['notice', 'notice'], ['messageTitle', 'message-title'], ['message', 'message'],
      ['retryMic', 'retry-mic'], ['retryLoad', 'retry-load'], ['consent', 'consent'],
      ['checkMic', 'check-mic'], ['start', 'start'], ['end', 'end'], ['confirmEnd', 'confirm-end'],
      ['cancelEnd', 'cancel-end'], ['reconnect', 'reconnect'], ['enableAudio', 'enable-audio'],
      ['status', 'status'], ['connection', 'connection'], ['captions', 'captions'],
      ['transcript', 'transcript'], ['levelMeter', 'level-meter'], ['levelFill', 'level-fill'],
      ['remoteAudio', 'remote-audio'], ['welcomeBack', 'welcome-back'], ['main', 'main'],
    ].forEach(function (pair) {
      el[pair[0]] = $(pair[1]);
    });

    el.consent.addEventListener('change', onConsentChange);
    el.checkMic.addEventListener('click', checkMic);
    el.retryMic.addEventListener('click', function () {
      clearNotice();
      if (app.pc || app.callStartedAt !== null) {
        window.location.reload();
        return;
      }
      if (!el.consent.checked) {
        el.consent.focus();
        return;
      }
      checkMic();
    });
    el.retryLoad.addEventListener('click', function () {
      window.location.reload();
    });
    el.start.addEventListener('click', startInterview);
    el.reconnect.addEventListener('click', function () {
      primeRemoteAudio();
      clearNotice();
      if (!app.micStream) {
        reacquireMicThenConnect();
        return;
      }
      connect();
    });
    el.enableAudio.addEventListener('click', playRemoteAudio);
    el.end.addEventListener('click', onEndClick);
    el.cancelEnd.addEventListener('click', resetEndButtons);
    el.confirmEnd.addEventListener('click', onConfirmEnd);

    document.addEventListener('visibilitychange', onVisibilityChange);
    window.addEventListener('focus', function () {
      sendEvent({ type: 'focus', focused: true });
    });
    window.addEventListener('blur', function () {
      sendEvent({ type: 'focus', focused: false });
    });
    window.addEventListener('pagehide', function () {
      // Release the microphone; the session stays resumable on the server.
      closePeer();
      releaseMic();
    });
    window.addEventListener('pageshow', function (event) {
      // Restored from the back/forward cache with a closed call: start over.
      if (event.persisted) window.location.reload();
    });
    document.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' && !el.confirmEnd.hidden) resetEndButtons();
    });
  }

  async function reacquireMicThenConnect() {
    if (!micSupported()) return;
    try {
      setMicStream(await getMicStream());
    } catch (err) {
      handleMicError(err);
      el.reconnect.hidden = false;
      return;
    }
    connect();
  }

  function init() {
    bind();
    loadState();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
