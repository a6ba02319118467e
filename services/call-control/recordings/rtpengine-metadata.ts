/**
 * rtpengine's recording metadata file (`<recording-dir>/metadata/rtpengine-meta-<call>-<rand>.txt`,
 * `pcap` method): its SDP sections in order, each after a `SDP mode: offer|answer` line. The SDPs
 * are the ones rtpengine sent out, so an offer's `m=audio` port is where the *answerer* sends its
 * RTP, and an answer's port is where the offerer sends. The file exists with SDPs only when
 * recording starts in the offer (`record call`), which is how call-control starts it.
 */

export interface RecordingMetadata {
  /** rtpengine's ports, for the first offer and its answer. */
  offerPort?: number
  answerPort?: number
  /** The pcap path rtpengine names on the first line. */
  pcapPath?: string
}

export function parseRtpengineMetadata(text: string): RecordingMetadata {
  const lines = text.split(/\r?\n/)
  const out: RecordingMetadata = {}
  if (lines[0]?.endsWith('.pcap')) out.pcapPath = lines[0].trim()
  let mode: 'offer' | 'answer' | undefined
  for (const line of lines) {
    const m = /^SDP mode: (offer|answer)/.exec(line)
    if (m) {
      mode = m[1] as 'offer' | 'answer'
      continue
    }
    const media = /^m=audio (\d+) /.exec(line)
    if (media && mode) {
      const port = Number(media[1])
      if (mode === 'offer') out.offerPort ??= port
      else out.answerPort ??= port
      mode = undefined
    }
  }
  return out
}
