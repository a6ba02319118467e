import { describe, expect, test } from 'bun:test'
import { checkPromptWav, mulawToLinear, pcm16Wav, promptSamples, rms } from './wav'

const tone = (n: number, amp = 8000) => Int16Array.from({ length: n }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * 440 * i) / 8000)))

describe('prompt WAV validation', () => {
  test('8 kHz mono 16-bit PCM is accepted with its duration', () => {
    const c = checkPromptWav(pcm16Wav(tone(8000), 8000))
    expect(c.ok).toBe(true)
    if (c.ok) expect(c.info).toMatchObject({ encoding: 'pcm16', sampleRate: 8000, channels: 1, durationMs: 1000 })
  })

  test('16 kHz is accepted, 44.1 kHz is refused naming the sample rate', () => {
    expect(checkPromptWav(pcm16Wav(tone(16000), 16000)).ok).toBe(true)
    const c = checkPromptWav(pcm16Wav(tone(44100), 44100))
    expect(c.ok).toBe(false)
    if (!c.ok) expect(c.problems.map((p) => p.field)).toEqual(['sample_rate'])
  })

  test('a 32-bit WAV (which rtpengine accepts and then plays as nothing) is refused naming the sample size', () => {
    const c = checkPromptWav(pcm16Wav(tone(8000), 8000, { bitsPerSample: 32 }))
    expect(c.ok).toBe(false)
    if (!c.ok) expect(c.problems).toEqual([{ field: 'bits_per_sample', msg: expect.stringContaining('32-bit') }])
  })

  test('stereo, too long, too short, too big and not-a-WAV are each named', () => {
    const stereo = checkPromptWav(pcm16Wav(tone(16000), 8000, { channels: 2 }))
    expect(!stereo.ok && stereo.problems.map((p) => p.field)).toEqual(['channels'])
    const long = checkPromptWav(pcm16Wav(tone(8000 * 31), 8000), { maxBytes: 10_000_000 })
    expect(!long.ok && long.problems.map((p) => p.field)).toEqual(['duration'])
    const short = checkPromptWav(pcm16Wav(tone(400), 8000))
    expect(!short.ok && short.problems.map((p) => p.field)).toEqual(['duration'])
    const big = checkPromptWav(pcm16Wav(tone(8000 * 20), 8000), { maxBytes: 100_000 })
    expect(!big.ok && big.problems.map((p) => p.field)).toEqual(['size'])
    const junk = checkPromptWav(new TextEncoder().encode('ID3 this is an mp3, honest'))
    expect(!junk.ok && junk.problems.map((p) => p.field)).toEqual(['file'])
  })

  test('µ-law WAV (format 7, 8-bit) is accepted and expands to linear samples', () => {
    const wav = pcm16Wav(Int16Array.from({ length: 4000 }, () => 0x0f00), 8000, { bitsPerSample: 8, format: 7 })
    const c = checkPromptWav(wav)
    expect(c.ok).toBe(true)
    if (c.ok) expect(c.info).toMatchObject({ encoding: 'mulaw', durationMs: 500 })
    expect(mulawToLinear(0xff)).toBe(0)
    expect(Math.abs(mulawToLinear(0x00))).toBeGreaterThan(30000)
  })

  test('samples and their level: a tone is loud, zeros are silence', () => {
    const wav = pcm16Wav(tone(8000), 8000)
    const c = checkPromptWav(wav)
    if (!c.ok) throw new Error('expected ok')
    expect(rms(promptSamples(wav, c.info))).toBeGreaterThan(5000)
    expect(rms(new Int16Array(800))).toBe(0)
  })
})
