/** 16-bit PCM WAV files: writing our stereo recordings, reading any (prompts, recordings, tests). */
const SAMPLE_RATE = 8000

/** A RIFF/WAVE file: PCM, 2 channels, 16-bit, 8 kHz, interleaved. */
export function stereoWav(left: Int16Array, right: Int16Array): Uint8Array {
  const frames = left.length
  const dataBytes = frames * 4
  const out = new Uint8Array(44 + dataBytes)
  const v = new DataView(out.buffer)
  const ascii = (o: number, s: string) => [...s].forEach((ch, i) => v.setUint8(o + i, ch.charCodeAt(0)))
  ascii(0, 'RIFF')
  v.setUint32(4, 36 + dataBytes, true)
  ascii(8, 'WAVE')
  ascii(12, 'fmt ')
  v.setUint32(16, 16, true)
  v.setUint16(20, 1, true)
  v.setUint16(22, 2, true)
  v.setUint32(24, SAMPLE_RATE, true)
  v.setUint32(28, SAMPLE_RATE * 4, true)
  v.setUint16(32, 4, true)
  v.setUint16(34, 16, true)
  ascii(36, 'data')
  v.setUint32(40, dataBytes, true)
  for (let i = 0; i < frames; i++) {
    v.setInt16(44 + i * 4, left[i]!, true)
    v.setInt16(46 + i * 4, right[i]!, true)
  }
  return out
}

/** Channels of a 16-bit PCM WAV (ours or a prompt), for overlays and for tests. */
export function readPcmWav(wav: Uint8Array): { sampleRate: number; channels: Int16Array[] } {
  const v = new DataView(wav.buffer, wav.byteOffset, wav.byteLength)
  const tag = (o: number) => String.fromCharCode(...wav.subarray(o, o + 4))
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('not a RIFF/WAVE file')
  let off = 12
  let fmt: { channels: number; rate: number; bits: number } | undefined
  while (off + 8 <= wav.byteLength) {
    const id = tag(off)
    const size = v.getUint32(off + 4, true)
    const body = off + 8
    if (id === 'fmt ') fmt = { channels: v.getUint16(body + 2, true), rate: v.getUint32(body + 4, true), bits: v.getUint16(body + 14, true) }
    if (id === 'data') {
      if (!fmt || fmt.bits !== 16) throw new Error('only 16-bit PCM WAV is read')
      const frames = Math.floor(Math.min(size, wav.byteLength - body) / (2 * fmt.channels))
      const channels = Array.from({ length: fmt.channels }, () => new Int16Array(frames))
      for (let i = 0; i < frames; i++) for (let c = 0; c < fmt.channels; c++) channels[c]![i] = v.getInt16(body + (i * fmt.channels + c) * 2, true)
      return { sampleRate: fmt.rate, channels }
    }
    off = body + size + (size & 1)
  }
  throw new Error('WAV has no data chunk')
}
