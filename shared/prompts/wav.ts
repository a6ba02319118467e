/**
 * What a prompt may be: a RIFF/WAVE file rtpengine's `play media` really plays. rtpengine 10.5
 * answers `ok` to a 32-bit or stereo WAV and then plays nothing, so anything else is refused
 * here, with the reason, before it can reach a call: 8 or 16 kHz, mono, 16-bit PCM or 8-bit µ-law.
 */

export const PROMPT_SAMPLE_RATES = [8000, 16000] as const
/** Upper bounds of a tenant prompt (base64 on the bus must stay under NATS' 1 MiB payload). */
export const PROMPT_MAX_BYTES = 512 * 1024
export const PROMPT_MAX_SECONDS = 30
/** A prompt shorter than this is almost surely a mistake (a click, a header with no audio). */
export const PROMPT_MIN_MS = 200

export type PromptEncoding = 'pcm16' | 'mulaw'

export interface WavInfo {
  encoding: PromptEncoding
  sampleRate: number
  channels: number
  bitsPerSample: number
  durationMs: number
  /** Where the samples are in the file. */
  dataOffset: number
  dataBytes: number
}

/** One reason a file is not an acceptable prompt; `field` names the property that is wrong. */
export interface WavProblem {
  field: 'file' | 'format' | 'sample_rate' | 'channels' | 'bits_per_sample' | 'size' | 'duration'
  msg: string
}

export type WavCheck = { ok: true; info: WavInfo } | { ok: false; problems: WavProblem[] }

const WAVE_FORMAT_PCM = 1
const WAVE_FORMAT_MULAW = 7
const WAVE_FORMAT_EXTENSIBLE = 0xfffe

const ascii = (b: Uint8Array, at: number) => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!)

/** Reads the `fmt ` and `data` chunks; no judgement yet. */
export function readWav(bytes: Uint8Array): { format: number; channels: number; sampleRate: number; bitsPerSample: number; dataOffset: number; dataBytes: number } | string {
  if (bytes.length < 12 || ascii(bytes, 0) !== 'RIFF' || ascii(bytes, 8) !== 'WAVE') return 'not a RIFF/WAVE file'
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let fmt: { format: number; channels: number; sampleRate: number; bitsPerSample: number } | undefined
  for (let at = 12; at + 8 <= bytes.length; ) {
    const id = ascii(bytes, at)
    const size = view.getUint32(at + 4, true)
    const body = at + 8
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) return 'fmt chunk is truncated'
      let format = view.getUint16(body, true)
      // WAVE_FORMAT_EXTENSIBLE carries the real format in the first two bytes of its sub-format GUID.
      if (format === WAVE_FORMAT_EXTENSIBLE && size >= 40 && body + 26 <= bytes.length) format = view.getUint16(body + 24, true)
      fmt = { format, channels: view.getUint16(body + 2, true), sampleRate: view.getUint32(body + 4, true), bitsPerSample: view.getUint16(body + 14, true) }
    } else if (id === 'data') {
      if (!fmt) return 'data chunk before fmt chunk'
      // Streamed WAVs (espeak-ng --stdout, sox to a pipe) leave the size unset: take what is there.
      const dataBytes = size === 0xffffffff || body + size > bytes.length ? bytes.length - body : size
      return { ...fmt, dataOffset: body, dataBytes }
    }
    at = body + size + (size & 1)
  }
  return fmt ? 'no data chunk' : 'no fmt chunk'
}

/** Judges a file as a prompt: every problem, each naming what is wrong, or its properties. */
export function checkPromptWav(bytes: Uint8Array, limits: { maxBytes?: number; maxSeconds?: number } = {}): WavCheck {
  const maxBytes = limits.maxBytes ?? PROMPT_MAX_BYTES
  const maxSeconds = limits.maxSeconds ?? PROMPT_MAX_SECONDS
  const problems: WavProblem[] = []
  if (bytes.length > maxBytes) problems.push({ field: 'size', msg: `the file is ${bytes.length} bytes; at most ${maxBytes} bytes are accepted` })
  const w = readWav(bytes)
  if (typeof w === 'string') return { ok: false, problems: [...problems, { field: 'file', msg: `${w}; upload a WAV file` }] }
  const encoding: PromptEncoding | undefined = w.format === WAVE_FORMAT_PCM && w.bitsPerSample === 16 ? 'pcm16' : w.format === WAVE_FORMAT_MULAW && w.bitsPerSample === 8 ? 'mulaw' : undefined
  if (w.format !== WAVE_FORMAT_PCM && w.format !== WAVE_FORMAT_MULAW) {
    problems.push({ field: 'format', msg: `WAV format ${w.format} is not supported; use 16-bit PCM (1) or µ-law (7)` })
  } else if (!encoding) {
    problems.push({ field: 'bits_per_sample', msg: `${w.bitsPerSample}-bit samples are not supported; use 16-bit PCM or 8-bit µ-law` })
  }
  if (!(PROMPT_SAMPLE_RATES as readonly number[]).includes(w.sampleRate)) problems.push({ field: 'sample_rate', msg: `${w.sampleRate} Hz is not supported; use 8000 or 16000 Hz` })
  if (w.channels !== 1) problems.push({ field: 'channels', msg: `${w.channels} channels; prompts must be mono` })
  const bytesPerSecond = w.sampleRate * w.channels * Math.max(1, w.bitsPerSample / 8)
  const durationMs = bytesPerSecond > 0 ? Math.round((w.dataBytes / bytesPerSecond) * 1000) : 0
  if (durationMs > maxSeconds * 1000) problems.push({ field: 'duration', msg: `${(durationMs / 1000).toFixed(1)} s of audio; at most ${maxSeconds} s` })
  else if (durationMs < PROMPT_MIN_MS) problems.push({ field: 'duration', msg: `${durationMs} ms of audio; at least ${PROMPT_MIN_MS} ms` })
  if (problems.length || !encoding) return { ok: false, problems }
  return { ok: true, info: { encoding, sampleRate: w.sampleRate, channels: w.channels, bitsPerSample: w.bitsPerSample, durationMs, dataOffset: w.dataOffset, dataBytes: w.dataBytes } }
}

/** A canonical 44-byte-header PCM WAV around 16-bit little-endian mono samples (tests, generated prompts). */
export function pcm16Wav(samples: Int16Array, sampleRate: number, opts: { channels?: number; bitsPerSample?: number; format?: number } = {}): Uint8Array {
  const channels = opts.channels ?? 1
  const bits = opts.bitsPerSample ?? 16
  const format = opts.format ?? WAVE_FORMAT_PCM
  const sampleBytes = bits / 8
  const dataBytes = samples.length * sampleBytes
  const out = new Uint8Array(44 + dataBytes)
  const v = new DataView(out.buffer)
  const put = (at: number, s: string) => [...s].forEach((c, i) => (out[at + i] = c.charCodeAt(0)))
  put(0, 'RIFF')
  v.setUint32(4, 36 + dataBytes, true)
  put(8, 'WAVE')
  put(12, 'fmt ')
  v.setUint32(16, 16, true)
  v.setUint16(20, format, true)
  v.setUint16(22, channels, true)
  v.setUint32(24, sampleRate, true)
  v.setUint32(28, sampleRate * channels * sampleBytes, true)
  v.setUint16(32, channels * sampleBytes, true)
  v.setUint16(34, bits, true)
  put(36, 'data')
  v.setUint32(40, dataBytes, true)
  for (let i = 0; i < samples.length; i++) {
    if (bits === 16) v.setInt16(44 + i * 2, samples[i]!, true)
    else if (bits === 32) v.setInt32(44 + i * 4, samples[i]! << 16, true)
    else if (bits === 8) out[44 + i] = (samples[i]! >> 8) + 128
  }
  return out
}

/** Root-mean-square level of 16-bit PCM samples, 0…32767 (silence is ~0; speech is in the hundreds or more). */
export function rms(samples: Int16Array): number {
  if (samples.length === 0) return 0
  let sum = 0
  for (const s of samples) sum += s * s
  return Math.sqrt(sum / samples.length)
}

/** The 16-bit PCM samples of a checked prompt (µ-law expanded). */
export function promptSamples(bytes: Uint8Array, info: WavInfo): Int16Array {
  const data = bytes.subarray(info.dataOffset, info.dataOffset + info.dataBytes)
  if (info.encoding === 'mulaw') return Int16Array.from(data, mulawToLinear)
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const out = new Int16Array(Math.floor(data.byteLength / 2))
  for (let i = 0; i < out.length; i++) out[i] = v.getInt16(i * 2, true)
  return out
}

/** G.711 µ-law byte to a 16-bit linear sample. */
export function mulawToLinear(u: number): number {
  const x = ~u & 0xff
  const t = (((x & 0x0f) << 3) + 0x84) << ((x & 0x70) >> 4)
  return x & 0x80 ? 0x84 - t : t - 0x84
}
