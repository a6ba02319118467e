/** `/v1/did/assignments`: the tenant's masked numbers (contract operation). */
import { Type as T } from '@sinclair/typebox'
import { did } from '../../../shared/contracts/did'
import { endpoint, tenant } from '../endpoint'

const STATUS_HELP =
  'Filter by assignment status. Defaults to ``active`` so released (historical) DIDs are hidden from the day-to-day view. Pass ``released`` to see history, or ``all`` for everything.'

export const didEndpoints = [
  endpoint({
    method: 'GET',
    path: '/v1/did/assignments',
    access: tenant('dids:read'),
    tags: ['tenant'],
    summary: 'Tenant List Assigned Dids',
    operationId: 'tenant_list_assigned_dids_v1_did_assignments_get',
    description:
      "List this tenant's DID assignments.\n\nBy default only **active** assignments are returned \u2014 that's the tenant's\n" +
      'current usable inventory. Released DIDs are kept in our database for audit\nand billing history; pass ``?status=released`` to see them, or\n``?status=all`` to see everything.',
    query: T.Object({
      limit: T.Integer({ minimum: 1, maximum: 500, default: 50, title: 'Limit' }),
      offset: T.Integer({ minimum: 0, default: 0, title: 'Offset' }),
      status: T.Union([T.Literal('active'), T.Literal('released'), T.Literal('suspended'), T.Literal('all')], {
        default: 'active',
        title: 'Status',
        description: STATUS_HELP,
      }),
    }),
    handle: ({ bus, ctx, query }) => bus.request(did.listAssignments, query, ctx),
  }),
]
