"""Media plane: WebRTC audio in and out, voice activity detection, streaming transcription, TTS, recording.

Built by the media-plane issue; the control plane does not depend on it.
"""
