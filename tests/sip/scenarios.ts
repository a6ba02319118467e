/**
 * SIPp scenarios, the oracle of the SIP tests: a scenario fails (and SIPp counts a failed call)
 * when any expected message does not come, or an unexpected one does. Written as templates so a
 * test can set the caller's number, how long to hold the call, or which status to expect.
 */

const SDP = `v=0
o=sipp 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000`

const wrap = (name: string, body: string) => `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="${name}">
${body}
</scenario>
`

function invite(from: string): string {
  return `  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:${from}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:${from}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

${SDP.replace(/^/gm, '      ')}
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>`
}

function inDialog(method: 'ACK' | 'BYE', from: string, cseq: number): string {
  return `      ${method} sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:${from}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Contact: <sip:${from}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0`
}

/** A party dialling the masked number ([service]) from `from`; hangs up after `holdMs`, or waits for the other side's BYE. */
export function uac(opts: { from: string; holdMs?: number; hangup: 'us' | 'them' }): string {
  const tail =
    opts.hangup === 'us'
      ? `  <pause milliseconds="${opts.holdMs ?? 1000}"/>
  <send retrans="500">
    <![CDATA[
${inDialog('BYE', opts.from, 2)}
    ]]>
  </send>
  <recv response="200" crlf="true"/>`
      : `  <recv request="BYE" timeout="15000"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>`
  return wrap(
    'uac',
    `${invite(opts.from)}
  <recv response="200" rtd="true"/>
  <send>
    <![CDATA[
${inDialog('ACK', opts.from, 1)}
    ]]>
  </send>
${tail}`,
  )
}

/** A party dialling and expecting to be refused with `status` (then ACKing it). */
export function uacRefused(opts: { from: string; status: number }): string {
  return wrap(
    'uac-refused',
    `${invite(opts.from)}
  <recv response="${opts.status}"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:${opts.from}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>`,
  )
}

const ringing = `  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0
    ]]>
  </send>`

const ok200 = `  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

${SDP.replace(/^/gm, '      ')}
    ]]>
  </send>`

const CAPTURES = {
  // what our own BYE is addressed with
  bye: [
    '<ereg regexp=".*" search_in="hdr" header="From:" assign_to="from_hdr"/>',
    '<ereg regexp=".*" search_in="hdr" header="To:" assign_to="to_hdr"/>',
    '<ereg regexp="sip:[^>;]*" search_in="hdr" header="Contact:" assign_to="contact"/>',
  ],
  // whether the INVITE carried an offer (originate tells its two legs apart by it)
  sdp: ['<ereg regexp="m=audio" search_in="body" check_it="false" assign_to="has_sdp"/>'],
  // the INVITE's CSeq number, for a 487 sent after a CANCEL
  cseq: ['<ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" assign_to="invite_cseq"/>'],
}

/** Receives the INVITE, keeping only what the scenario uses (SIPp refuses variables set but never read). */
function recvInvite(...keep: (keyof typeof CAPTURES)[]): string {
  const actions = keep.flatMap((k) => CAPTURES[k])
  if (!actions.length) return '  <recv request="INVITE" crlf="true"/>'
  return `  <recv request="INVITE" crlf="true">
    <action>
${actions.map((a) => `      ${a}`).join('\n')}
    </action>
  </recv>`
}

const waitBye = `  <recv request="BYE" timeout="20000"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>`

const sendBye = (holdMs: number) => `  <pause milliseconds="${holdMs}"/>
  <send retrans="500">
    <![CDATA[
      BYE [$contact] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: [$to_hdr];tag=[pid]SIPpTag01[call_number]
      To: [$from_hdr]
      Call-ID: [call_id]
      CSeq: 1 BYE
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" crlf="true"/>`

/** The trunk side: a phone that rings, answers and then hangs up (`us`) or waits for BYE (`them`). */
export function uas(opts: { hangup: 'us' | 'them'; holdMs?: number }): string {
  return wrap(
    'uas',
    `${opts.hangup === 'us' ? recvInvite('bye') : recvInvite()}
${ringing}
${ok200}
  <recv request="ACK" rtd="true" crlf="true"/>
${opts.hangup === 'us' ? sendBye(opts.holdMs ?? 1000) : waitBye}`,
  )
}

/**
 * Both legs of an originate reach one trunk. The leg INVITEd without SDP is the first party
 * (the caller); the one with SDP is the callee. The callee answers and hangs up after `holdMs`
 * (or is busy); the caller answers and waits for our BYE.
 */
export function uasOriginate(opts: { callee: 'answer' | 'busy'; holdMs?: number }): string {
  const callee =
    opts.callee === 'busy'
      ? `  <label id="callee"/>
  <send>
    <![CDATA[
      SIP/2.0 486 Busy Here
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK" crlf="true" next="end"/>`
      : `  <label id="callee"/>
${ringing}
${ok200}
  <recv request="ACK" crlf="true"/>
${sendBye(opts.holdMs ?? 1000)}
  <nop next="end"/>`
  return wrap(
    'uas-originate',
    `${opts.callee === 'busy' ? recvInvite('sdp') : recvInvite('sdp', 'bye')}
  <nop next="callee" test="has_sdp"/>
${ringing}
${ok200}
  <recv request="ACK" crlf="true"/>
${waitBye}
  <nop next="end"/>
${callee}
  <label id="end"/>`,
  )
}

/** A phone that rings and never answers: expects our CANCEL after the ring timeout. */
export function uasNoAnswer(): string {
  return wrap(
    'uas-no-answer',
    `${recvInvite('cseq')}
${ringing}
  <recv request="CANCEL" timeout="20000"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <send>
    <![CDATA[
      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      CSeq: [$invite_cseq] INVITE
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK" crlf="true"/>`,
  )
}

/** A party that dials, hears ringing, and gives up (CANCEL) before anyone answers. */
export function uacCancel(opts: { from: string }): string {
  // Message indexes matter: CANCEL and the ACK of the 487 reuse the INVITE's branch ([branch-N]).
  const common = (method: string) => `      ${method} sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      From: <sip:${opts.from}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      Call-ID: [call_id]
      CSeq: 1 ${method}
      Max-Forwards: 70
      Content-Length: 0`
  return wrap(
    'uac-cancel',
    `  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:${opts.from}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:${opts.from}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

${SDP.replace(/^/gm, '      ')}
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180"/>
  <pause milliseconds="300"/>
  <send>
    <![CDATA[
${common('CANCEL').replace('SIP/2.0\n', `SIP/2.0\n      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-4]\n      To: <sip:[service]@[remote_ip]:[remote_port]>\n`)}
    ]]>
  </send>
  <recv response="200"/>
  <recv response="487"/>
  <send>
    <![CDATA[
${common('ACK').replace('SIP/2.0\n', `SIP/2.0\n      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-7]\n      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]\n`)}
    ]]>
  </send>`,
  )
}
