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

interface InviteOptions {
  maxForwards?: number
  /** Extra header lines (`Name: value`). */
  headers?: string[]
  /** Attributes of the send element (e.g. `start_txn="invite"`). */
  attrs?: string
}

function invite(from: string, o: InviteOptions = {}): string {
  const extra = (o.headers ?? []).map((h) => `\n      ${h}`).join('')
  return `  <send retrans="500"${o.attrs ? ` ${o.attrs}` : ''}>
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:${from}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:${from}@[local_ip]:[local_port]>
      Max-Forwards: ${o.maxForwards ?? 70}${extra}
      Content-Type: application/sdp
      Content-Length: [len]

${SDP.replace(/^/gm, '      ')}
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>`
}

/** An in-dialog request from the caller (dialog ids as SIPp keeps them), with an optional body. */
function callerRequest(method: string, from: string, cseq: number, o: { body?: string; contentType?: string; headers?: string[] } = {}): string {
  const extra = (o.headers ?? []).map((h) => `\n      ${h}`).join('')
  const body = o.body
    ? `\n      Content-Type: ${o.contentType ?? 'application/sdp'}\n      Content-Length: [len]\n\n${o.body.replace(/^/gm, '      ')}`
    : '\n      Content-Length: 0'
  return `      ${method} sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:${from}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Contact: <sip:${from}@[local_ip]:[local_port]>
      Max-Forwards: 70${extra}${body}`
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
export function uac(opts: { from: string; holdMs?: number; hangup: 'us' | 'them' } & InviteOptions): string {
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
    `${invite(opts.from, opts)}
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
export function uacRefused(opts: { from: string; status: number } & InviteOptions): string {
  return wrap(
    'uac-refused',
    `${invite(opts.from, opts)}
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

const okTo = (extra = '') => `  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>${extra}
      Content-Length: 0
    ]]>
  </send>`

const okWithSdp = `  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

${SDP.replace(/^/gm, '      ')}
    ]]>
  </send>`

/** A caller whose BYE follows its ACK at once (what a phone does when its CANCEL crossed our 200 OK). */
export function uacAckBye(opts: { from: string }): string {
  return wrap(
    'uac-ack-bye',
    `${invite(opts.from)}
  <recv response="200"/>
  <send>
    <![CDATA[
${inDialog('ACK', opts.from, 1)}
    ]]>
  </send>
  <send retrans="500">
    <![CDATA[
${inDialog('BYE', opts.from, 2)}
    ]]>
  </send>
  <recv response="200" crlf="true"/>`,
  )
}

/**
 * A caller that gives up (CANCEL) the moment it hears ringing, while the callee answers at once:
 * the CANCEL and our 200 OK cross. Either the CANCEL wins (487, ACK) or the 200 does (ACK, then
 * BYE at once, as RFC 3261 says); both are a successful SIPp call.
 */
export function uacCancelCrossing(opts: { from: string }): string {
  const common = (method: string, branch: string, toTag = '') => `      ${method} sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=${branch}
      From: <sip:${opts.from}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>${toTag}
      Call-ID: [call_id]
      CSeq: 1 ${method}
      Max-Forwards: 70
      Content-Length: 0`
  // CANCEL and the ACK of a 487 belong to the INVITE's transaction: the same branch.
  const branch = 'z9hG4bK[pid]inv[call_number]'
  return wrap(
    'uac-cancel-crossing',
    `${invite(opts.from, { attrs: 'start_txn="invite"' })
      .replace('branch=[branch]', `branch=${branch}`)
      .replace('<recv response="100" optional="true"/>', '<recv response="100" optional="true" response_txn="invite"/>')
      .replace('<recv response="180" optional="true"/>', '<recv response="180" response_txn="invite"/>')
      .replace('\n  <recv response="183" optional="true"/>', '')}
  <send start_txn="cancel">
    <![CDATA[
${common('CANCEL', branch)}
    ]]>
  </send>
  <recv response="200" response_txn="cancel" optional="true"/>
  <recv response="481" response_txn="cancel" optional="true"/>
  <recv response="487" response_txn="invite" optional="true" next="canceled"/>
  <recv response="200" response_txn="invite"/>
  <send ack_txn="invite">
    <![CDATA[
${inDialog('ACK', opts.from, 1)}
    ]]>
  </send>
  <send retrans="500" start_txn="bye">
    <![CDATA[
${inDialog('BYE', opts.from, 2)}
    ]]>
  </send>
  <recv response="200" response_txn="cancel" optional="true"/>
  <recv response="481" response_txn="cancel" optional="true"/>
  <recv response="200" response_txn="bye" crlf="true"/>
  <nop next="end"/>
  <label id="canceled"/>
  <send ack_txn="invite">
    <![CDATA[
${common('ACK', branch, '[peer_tag_param]')}
    ]]>
  </send>
  <label id="end"/>`,
  )
}

/**
 * The trunk answering at once (180 then 200 with no pause), then waiting for our BYE within
 * `byeWithinMs`; a CANCEL that crossed its 200 (before or after our ACK) gets 200 and changes nothing.
 */
export function uasAnswerAtOnce(opts: { byeWithinMs?: number } = {}): string {
  const bye = `  <recv request="BYE" timeout="${opts.byeWithinMs ?? 20000}"/>
${okTo()}`
  // Straight paths, no loops: SIPp is unreliable with optional receives it has already passed.
  return wrap(
    'uas-answer-at-once',
    `${recvInvite()}
${ringing}
${ok200}
  <recv request="CANCEL" optional="true" next="cancel_before_ack"/>
  <recv request="ACK" crlf="true"/>
  <recv request="CANCEL" optional="true" next="cancel_after_ack"/>
${bye}
  <nop next="end"/>
  <label id="cancel_after_ack"/>
${okTo()}
${bye}
  <nop next="end"/>
  <label id="cancel_before_ack"/>
${okTo()}
  <recv request="ACK" crlf="true"/>
${bye}
  <label id="end"/>`,
  )
}

/**
 * A caller that answers, writes its dialog ids (Call-ID, its tag, the platform's tag) to `idsFile`
 * for an attacker to use, holds `holdMs`, then hangs up.
 */
export function uacSharingDialog(opts: { from: string; idsFile: string; holdMs: number; byeAnswer?: 200 | 481 }): string {
  return wrap(
    'uac-sharing-dialog',
    `${invite(opts.from)}
  <recv response="200">
    <action>
      <ereg regexp="tag=([^;>]+)" search_in="hdr" header="To:" assign_to="all,totag"/>
      <exec command="echo '[call_id] [pid]SIPpTag00[call_number] [$totag]' > ${opts.idsFile}"/>
    </action>
  </recv>
  <send>
    <![CDATA[
${inDialog('ACK', opts.from, 1)}
    ]]>
  </send>
  <pause milliseconds="${opts.holdMs}"/>
  <send retrans="500">
    <![CDATA[
${inDialog('BYE', opts.from, 2)}
    ]]>
  </send>
  <recv response="${opts.byeAnswer ?? 200}" crlf="true"/>
  <Reference variables="all"/>`,
  )
}

const SDP_MOVED = SDP.replace('[media_port]', '[media_port+2]')

/**
 * A caller that, once bridged, sends an UPDATE with a new offer, a re-INVITE without SDP
 * (answering the offer in its ACK), an INFO with a DTMF digit, a REFER (refused: 403), a
 * MESSAGE and an unknown method (405), then hangs up.
 */
export function uacInDialogMethods(opts: { from: string }): string {
  const req = (method: string, cseq: number, o: Parameters<typeof callerRequest>[3] = {}) => `  <send retrans="500">
    <![CDATA[
${callerRequest(method, opts.from, cseq, o)}
    ]]>
  </send>`
  return wrap(
    'uac-in-dialog-methods',
    `${invite(opts.from)}
  <recv response="200"/>
  <send>
    <![CDATA[
${inDialog('ACK', opts.from, 1)}
    ]]>
  </send>
  <pause milliseconds="200"/>
${req('UPDATE', 2, { body: SDP_MOVED })}
  <recv response="200">
    <action><ereg regexp="m=audio" search_in="body" check_it="true" assign_to="update_answer"/></action>
  </recv>
${req('INVITE', 3)}
  <recv response="100" optional="true"/>
  <recv response="200">
    <action><ereg regexp="m=audio" search_in="body" check_it="true" assign_to="offer"/></action>
  </recv>
  <send>
    <![CDATA[
${callerRequest('ACK', opts.from, 3, { body: SDP })}
    ]]>
  </send>
${req('INFO', 4, { body: 'Signal=5\nDuration=160', contentType: 'application/dtmf-relay' })}
  <recv response="200"/>
${req('REFER', 5, { headers: ['Refer-To: <sip:+19005551234@[remote_ip]>'] })}
  <recv response="403"/>
${req('MESSAGE', 6, { body: 'hello', contentType: 'text/plain' })}
  <recv response="405"/>
${req('FOO', 7)}
  <recv response="405"/>
  <pause milliseconds="100"/>
${req('BYE', 8)}
  <recv response="200" crlf="true"/>
  <Reference variables="update_answer,offer"/>`,
  )
}

/** The trunk side of uacInDialogMethods: answers the UPDATE, offers on the SDP-less re-INVITE, takes the INFO. */
export function uasInDialogMethods(): string {
  return wrap(
    'uas-in-dialog-methods',
    `${recvInvite()}
${ringing}
${ok200}
  <recv request="ACK" crlf="true"/>
  <recv request="UPDATE">
    <action><ereg regexp="m=audio" search_in="body" check_it="true" assign_to="update_offer"/></action>
  </recv>
${okWithSdp}
  <recv request="INVITE">
    <action><ereg regexp="m=audio" search_in="body" check_it_inverse="true" assign_to="no_sdp"/></action>
  </recv>
${okWithSdp}
  <recv request="ACK">
    <action><ereg regexp="m=audio" search_in="body" check_it="true" assign_to="ack_answer"/></action>
  </recv>
  <recv request="INFO"/>
${okTo()}
  <recv request="BYE" timeout="20000"/>
${okTo()}
  <Reference variables="update_offer,no_sdp,ack_answer"/>`,
  )
}

/** The trunk ringing with a chatty reason phrase and a private header, then answering busy the same way. */
export function uasChatty(): string {
  return wrap(
    'uas-chatty',
    `${recvInvite()}
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing at +14155550002 (Bob iPhone)
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      X-Callee-Secret: bob-home-wifi
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0
    ]]>
  </send>
  <pause milliseconds="200"/>
  <send>
    <![CDATA[
      SIP/2.0 486 Busy with +14155550002 (Bob iPhone)
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      X-Callee-Secret: bob-home-wifi
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK" crlf="true"/>`,
  )
}

/** A caller expecting to hear ringing and then busy (both with whatever phrase we send). */
export function uacBusy(opts: { from: string }): string {
  return uacRefused({ from: opts.from, status: 486 }).replace('<recv response="180" optional="true"/>', '<recv response="180"/>')
}

/** An out-of-dialog OPTIONS (a carrier's health check); expects `status`. */
export function optionsPing(opts: { status: number }): string {
  return wrap(
    'options',
    `  <send retrans="500">
    <![CDATA[
      OPTIONS sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:probe@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 OPTIONS
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="${opts.status}"/>`,
  )
}

/** The trunk challenging the first INVITE with 407, then (with credentials) answering and waiting for BYE. */
export function uasChallenging(opts: { realm: string }): string {
  return wrap(
    'uas-challenging',
    `${recvInvite()}
  <send>
    <![CDATA[
      SIP/2.0 407 Proxy Authentication Required
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Proxy-Authenticate: Digest realm="${opts.realm}", nonce="[pid]n[call_number]", algorithm=MD5, qop="auth"
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp="Digest" search_in="hdr" header="Proxy-Authorization:" check_it="true" assign_to="digest"/>
    </action>
  </recv>
${ringing}
${ok200}
  <recv request="ACK" crlf="true"/>
${waitBye}
  <Reference variables="digest"/>`,
  )
}

/** The trunk challenging every INVITE (no credentials on our side): one 407, then nothing more. */
export function uasChallengeOnly(opts: { realm: string }): string {
  return wrap(
    'uas-challenge-only',
    `${recvInvite()}
  <send>
    <![CDATA[
      SIP/2.0 407 Proxy Authentication Required
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Proxy-Authenticate: Digest realm="${opts.realm}", nonce="[pid]n[call_number]", algorithm=MD5
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK" crlf="true"/>`,
  )
}

/** A phone that rings and then ignores our CANCEL for good (no 200, no 487): a stuck ringing leg. */
export function uasStuckRinging(): string {
  return wrap(
    'uas-stuck-ringing',
    `${recvInvite()}
${ringing}
  <recv request="CANCEL" timeout="30000"/>
  <pause milliseconds="5000"/>`,
  )
}
