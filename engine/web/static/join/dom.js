/*
 * Element lookup: `$` by id, and `el`, the elements the page uses often,
 * filled in once by bindElements() when the document has been parsed.
 */

export const $ = (id) => document.getElementById(id);

export const el = {};

const ELEMENTS = {
  notice: 'notice',
  messageTitle: 'message-title',
  message: 'message',
  retryMic: 'retry-mic',
  retryLoad: 'retry-load',
  consent: 'consent',
  checkMic: 'check-mic',
  start: 'start',
  end: 'end',
  confirmEnd: 'confirm-end',
  cancelEnd: 'cancel-end',
  reconnect: 'reconnect',
  enableAudio: 'enable-audio',
  status: 'status',
  connection: 'connection',
  captions: 'captions',
  transcript: 'transcript',
  levelMeter: 'level-meter',
  levelFill: 'level-fill',
  remoteAudio: 'remote-audio',
  welcomeBack: 'welcome-back',
  main: 'main',
};

export function bindElements() {
  for (const [key, id] of Object.entries(ELEMENTS)) el[key] = $(id);
}
