// The npm `rtpengine-client` ships no typings; rtpengine-client.ts wraps it with its own types.
declare module 'rtpengine-client' {
  export class Client {
    constructor(opts?: { timeout?: number; rejectOnError?: boolean; localPort?: number; localAddress?: string })
  }
}
