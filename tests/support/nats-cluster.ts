/**
 * Three clustered nats-servers on free ports (client, cluster and monitoring port each), as
 * production runs NATS (infra/compose.yaml, infra/k8s/nats.yaml): for tests that lose a node.
 */
import type { Subprocess } from 'bun'

const BIN = process.env.NATS_SERVER_BIN ?? (Bun.which('nats-server') || '/usr/sbin/nats-server')

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, fetch: () => new Response() })
  const port = s.port!
  s.stop(true)
  return port
}

export interface ClusterNode {
  name: string
  port: number
  clusterPort: number
  monitorPort: number
  url: string
  proc?: Subprocess
}

export class NatsCluster {
  private constructor(readonly nodes: ClusterNode[]) {}

  /** Every node's client URL, comma-separated: what NATS_URL takes. */
  get urls(): string {
    return this.nodes.map((n) => n.url).join(',')
  }

  static async start(size = 3): Promise<NatsCluster> {
    const nodes: ClusterNode[] = []
    for (let i = 0; i < size; i++) {
      const [port, clusterPort, monitorPort] = [await freePort(), await freePort(), await freePort()]
      nodes.push({ name: `n${i + 1}`, port, clusterPort, monitorPort, url: `nats://127.0.0.1:${port}` })
    }
    const c = new NatsCluster(nodes)
    for (const n of nodes) c.spawn(n)
    await c.waitFormed()
    return c
  }

  private spawn(n: ClusterNode): void {
    const routes = this.nodes.filter((o) => o !== n).map((o) => `nats://127.0.0.1:${o.clusterPort}`)
    n.proc = Bun.spawn(
      [BIN, '-n', n.name, '-a', '127.0.0.1', '-p', String(n.port), '-m', String(n.monitorPort), '--cluster_name', 'masking', '--cluster', `nats://127.0.0.1:${n.clusterPort}`, '--routes', routes.join(',')],
      { stdout: 'ignore', stderr: 'ignore' },
    )
  }

  private async monitor<T>(n: ClusterNode, path: string): Promise<T> {
    const r = await fetch(`http://127.0.0.1:${n.monitorPort}${path}`, { signal: AbortSignal.timeout(1000) })
    return (await r.json()) as T
  }

  /** Until every live node has a route to every other live node. */
  async waitFormed(timeoutMs = 15_000): Promise<void> {
    const live = this.nodes.filter((n) => n.proc && n.proc.exitCode === null && !n.proc.killed)
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const ok = await Promise.all(
        live.map((n) =>
          this.monitor<{ num_routes: number }>(n, '/routez')
            .then((r) => r.num_routes >= live.length - 1)
            .catch(() => false),
        ),
      )
      if (ok.every(Boolean)) return
      if (Date.now() > deadline) throw new Error('nats cluster did not form')
      await Bun.sleep(50)
    }
  }

  /** The node a client of this connection name is connected to, if any. */
  async nodeOf(connectionName: string): Promise<ClusterNode | undefined> {
    for (const n of this.nodes) {
      if (!n.proc || n.proc.killed || n.proc.exitCode !== null) continue
      const c = await this.monitor<{ connections: { name?: string }[] }>(n, '/connz?limit=1000').catch(() => ({ connections: [] }))
      if (c.connections.some((x) => x.name === connectionName)) return n
    }
    return undefined
  }

  /** How many client connections each live node holds, by name. */
  async clients(): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {}
    for (const n of this.nodes) {
      if (!n.proc || n.proc.killed || n.proc.exitCode !== null) continue
      const c = await this.monitor<{ connections: { name?: string }[] }>(n, '/connz?limit=1000').catch(() => ({ connections: [] }))
      out[n.name] = c.connections.map((x) => x.name ?? '?')
    }
    return out
  }

  async kill(n: ClusterNode): Promise<void> {
    n.proc?.kill('SIGKILL')
    await n.proc?.exited
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) n.proc?.kill('SIGKILL')
    await Promise.all(this.nodes.map((n) => n.proc?.exited))
  }
}
