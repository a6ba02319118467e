/** `/v1/did/assignments`: the tenant's masked numbers (contract operation). */
import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { PageParams } from '../../../shared/contracts/common'
import { ASSIGNMENT_STATUSES, did } from '../../../shared/contracts/did'
import { tenant, type AccessPlugin } from '../access'
import { models } from '../models'
import { choice, query } from '../params'
import { responses } from '../responses'

const STATUS_HELP =
  'Filter by assignment status. Defaults to ``active`` so released (historical) DIDs are hidden from the day-to-day view. Pass ``released`` to see history, or ``all`` for everything.'

export const didRoutes = (access: AccessPlugin) =>
  new Elysia({ name: 'gateway:dids' })
    .use(access)
    .use(models)
    .get('/v1/did/assignments', ({ bus, ctx, query }) => bus.request(did.listAssignments, query, ctx), {
      access: tenant('dids:read'),
      query: query({
        ...PageParams,
        status: choice([...ASSIGNMENT_STATUSES, 'all'], {
          default: 'active',
          title: 'Status',
          description: STATUS_HELP,
        }),
      }),
      response: responses('AssignmentList', tenant('dids:read'), {}, { validates: true }),
      detail: {
        tags: ['numbers'],
        summary: 'Tenant List Assigned Dids',
        operationId: 'tenant_list_assigned_dids_v1_did_assignments_get',
        description:
          "List this tenant's DID assignments.\n\nBy default only **active** assignments are returned \u2014 that's the tenant's\n" +
          'current usable inventory. Released DIDs are kept in our database for audit\nand billing history; pass ``?status=released`` to see them, or\n``?status=all`` to see everything.',
      },
    })
