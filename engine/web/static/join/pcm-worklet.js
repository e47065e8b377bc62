/*
 * AudioWorklet processors for the WebSocket fallback (fallback.js), loaded
 * with audioWorklet.addModule(): no inline script anywhere.
 *
 * pcm-capture: the microphone (already echo-cancelled by getUserMedia, and
 * low-passed below 8 kHz by the graph in front of it) decimated from the
 * context's rate to 16 kHz and posted as 20 ms Int16 frames (320 samples).
 *
 * pcm-player: 16 kHz Int16 chunks from the engine, upsampled (linear) to the
 * context's rate and played with a small prebuffer against network jitter;
 * a 'clear' message drops what is still queued (barge-in). It posts how much
 * it played and the audio energy, for window.interviewDebug.
 */

const WIRE_RATE = 16000;
const FRAME_SAMPLES = 320; // 20 ms at 16 kHz

class PcmCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / WIRE_RATE; // input samples per output sample
    this.acc = 0;
    this.count = 0;
    this.pos = 0; // input samples since the last output sample
    this.frame = new Int16Array(FRAME_SAMPLES);
    this.filled = 0;
  }

  process(inputs) {
    const input = inputs[0];
    const channel = input && input[0];
    if (!channel) return true;
    for (let i = 0; i < channel.length; i += 1) {
      // Integrate and dump: each output sample is the mean of the input samples it covers.
      this.acc += channel[i];
      this.count += 1;
      this.pos += 1;
      if (this.pos >= this.step) {
        this.pos -= this.step;
        const value = Math.max(-1, Math.min(1, this.acc / this.count));
        this.acc = 0;
        this.count = 0;
        this.frame[this.filled] = value < 0 ? value * 0x8000 : value * 0x7fff;
        this.filled += 1;
        if (this.filled === FRAME_SAMPLES) {
          const out = this.frame;
          this.port.postMessage(out.buffer, [out.buffer]);
          this.frame = new Int16Array(FRAME_SAMPLES);
          this.filled = 0;
        }
      }
    }
    return true;
  }
}

const PREBUFFER_SAMPLES = 1600; // 100 ms at 16 kHz before playing after a gap
const MAX_QUEUED_SAMPLES = 32000; // 2 s: beyond it the oldest audio goes (it would come too late)
const REPORT_EVERY = 12000; // output samples between reports (about 250 ms)

class PcmPlayer extends AudioWorkletProcessor {
  constructor() {
    super();
    this.chunks = [];
    this.offset = 0; // read position within chunks[0], fractional
    this.queued = 0;
    this.playing = false;
    this.step = WIRE_RATE / sampleRate;
    this.played = 0;
    this.energy = 0;
    this.sinceReport = 0;
    this.port.onmessage = (event) => {
      if (event.data === 'clear') {
        this.chunks = [];
        this.offset = 0;
        this.queued = 0;
        this.playing = false;
        return;
      }
      const samples = new Int16Array(event.data);
      const chunk = new Float32Array(samples.length);
      for (let i = 0; i < samples.length; i += 1) chunk[i] = samples[i] / 0x8000;
      this.chunks.push(chunk);
      this.queued += chunk.length;
      while (this.queued > MAX_QUEUED_SAMPLES && this.chunks.length > 1) {
        this.queued -= this.chunks.shift().length;
        this.offset = 0;
      }
    };
  }

  sample(index) {
    // The sample `index` places after the read position's chunk start, across chunk boundaries.
    let i = index;
    for (const chunk of this.chunks) {
      if (i < chunk.length) return chunk[i];
      i -= chunk.length;
    }
    return 0;
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    if (!this.playing && this.queued >= PREBUFFER_SAMPLES) this.playing = true;
    for (let i = 0; i < out.length; i += 1) {
      if (!this.playing || this.queued - this.offset < 2) {
        out[i] = 0;
        continue;
      }
      const whole = Math.floor(this.offset);
      const frac = this.offset - whole;
      const a = this.sample(whole);
      const b = this.sample(whole + 1);
      const value = a + (b - a) * frac;
      out[i] = value;
      this.energy += value * value / sampleRate;
      this.played += 1;
      this.offset += this.step;
      while (this.chunks.length && this.offset >= this.chunks[0].length) {
        this.offset -= this.chunks[0].length;
        this.queued -= this.chunks[0].length;
        this.chunks.shift();
      }
      if (this.queued - this.offset < 2) this.playing = false; // ran dry: prebuffer again
    }
    for (let c = 1; c < outputs[0].length; c += 1) outputs[0][c].set(out);
    this.sinceReport += out.length;
    if (this.sinceReport >= REPORT_EVERY) {
      this.sinceReport = 0;
      this.port.postMessage({ played: this.played, energy: this.energy });
    }
    return true;
  }
}

registerProcessor('pcm-capture', PcmCapture);
registerProcessor('pcm-player', PcmPlayer);
