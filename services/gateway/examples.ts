/** Example values for the OpenAPI document (models.test.ts checks each against its schema). */
export const tenantId = 'ten_01KBMQ3V2C8XZ4W6R0N5J7P9HE'
const keyId = 'key_01KBMQ3V3F0A6T1B9C2D4E5F6G'
const sessionId = 'ses_01KBMQ4A7K2M5N8P0Q3R6S9T1V'
const callId = 'call_01KBMQ4F1W3X5Y7Z9A0B2C4D6E'
const didId = 'did_01KBMQ3X9H1J3K5M7N9P1Q3R5S'
const assignmentId = 'asg_01KBMQ3Y2T4V6W8X0Y2Z4A6B8C'
const apiKey = 'msk_live_7Qm2Xc9LpA4sVt1ZbN8eRk3JhW6yFd0G1a2B3c'
export const webhookSecret = 'whsec_5a0c2f0e9d8b7a6c5e4f3a2b1c0d9e8f'

export const health = { status: 'ok', services: { identity: 'ok', did: 'ok', sessions: 'ok', call_control: 'ok' }, version: '0.1.0' }

export const session = {
  id: sessionId,
  tenant_id: tenantId,
  order_id: 'trip-1001',
  driver_phone: '+14155550001',
  customer_phone: '+14155550002',
  masked_e164: '+12025550100',
  status: 'open',
  ttl_minutes: 90,
  created_at: '2026-12-03T10:00:00Z',
  expires_at: '2026-12-03T11:30:00Z',
  ended_at: null,
  end_reason: null,
  pin_required: false,
  pin_length: null,
  driver_pin: null,
  customer_pin: null,
  call_time_limit_seconds: null,
  ring_timeout_seconds: null,
  greeting_prompt: null,
  record: false,
}

export const pinSession = { ...session, pin_required: true, pin_length: 6, driver_pin: '482913', customer_pin: '730164', call_time_limit_seconds: 900, greeting_prompt: 'builtin:connecting' }

export const prompt = {
  id: 'prm_01KBMQ5C2D4E6F8G0H2J4K6M8N',
  tenant_id: tenantId,
  name: 'trip-ended',
  encoding: 'pcm16',
  sample_rate: 8000,
  duration_ms: 2400,
  size_bytes: 38444,
  created_at: '2026-12-03T09:00:00Z',
}

export const settings = { no_session_prompt: 'builtin:session_ended', not_a_party_prompt: prompt.id, unmatched_callback_url: 'https://example.com/unmatched-calls', record_calls: true, recording_retention_days: 30, phone_retention_days: 90 }

export const assignment = {
  id: assignmentId,
  did_id: didId,
  e164: '+12025550100',
  country: 'US',
  status: 'active',
  assigned_at: '2026-12-01T09:00:00Z',
  released_at: null,
  suspended_at: null,
}

export const adminAssignment = { ...assignment, tenant_id: tenantId }

export const did = {
  id: didId,
  e164: '+12025550100',
  country: 'US',
  capabilities: ['voice'],
  status: 'available',
  available_at: null,
  created_at: '2026-12-01T08:00:00Z',
  assignment: null,
}

export const call = {
  id: callId,
  tenant_id: tenantId,
  session_id: sessionId,
  direction: 'originate',
  status: 'completed',
  from_party: 'driver',
  to_party: 'customer',
  from_phone: '+14155550001',
  to_phone: '+14155550002',
  masked_e164: '+12025550100',
  bill_id: 'bill-77',
  created_at: '2026-12-03T10:05:00Z',
  ringing_at: '2026-12-03T10:05:01Z',
  answered_at: '2026-12-03T10:05:06Z',
  ended_at: '2026-12-03T10:07:06Z',
  duration_seconds: 120,
  end_reason: 'hangup',
  media: {
    from_caller: { packets: 6000, bytes: 1032000, packets_lost: 3, loss: 0.0005, jitter_ms: 2.1, mos: 4.3 },
    from_callee: { packets: 5990, bytes: 1030280, packets_lost: 0, loss: 0, jitter_ms: 1.4, mos: 4.4 },
  },
}

export const callback = {
  id: 'cbd_01KBMQ4F2A4B6C8D0E2F4G6H8J',
  event: 'completed',
  sequence: 4,
  event_id: 'evt_01KBMQ4F2A4B6C8D0E2F4G6H8K',
  url: 'https://example.com/call-events',
  status: 'delivered',
  attempts: 1,
  next_attempt_at: null,
  delivered_at: '2026-12-03T10:07:07Z',
  last_status_code: 200,
  last_error: null,
  attempt_log: [{ at: '2026-12-03T10:07:07Z', status_code: 200, error: null, duration_ms: 41 }],
  created_at: '2026-12-03T10:07:06Z',
}

export const apiKeyItem = {
  id: keyId,
  label: 'mobile-backend',
  api_key_prefix: apiKey.slice(0, 15),
  scopes: ['sessions:read', 'sessions:write'],
  created_at: '2026-12-03T09:00:00Z',
  expires_at: '2027-03-03T09:00:00Z',
  last_used_at: '2026-12-03T10:00:00Z',
  revoked_at: null,
  is_active: true,
}
export { apiKeyItem as apiKey }

export const createdKey = {
  id: keyId,
  tenant_id: tenantId,
  label: 'mobile-backend',
  api_key: apiKey,
  api_key_prefix: apiKey.slice(0, 15),
  scopes: ['sessions:read', 'sessions:write'],
  created_at: '2026-12-03T09:00:00Z',
  expires_at: '2027-03-03T09:00:00Z',
}

export const rotatedKey = {
  tenant_id: tenantId,
  revoked_api_key_id: keyId,
  new_api_key_id: 'key_01KBMQ5B8C0D2E4F6G8H0J2K4M',
  api_key: 'msk_live_3Hs8Kd1PqZ7vXn4LtB9cWm2RfY6gJa5E0e9F8d',
  api_key_prefix: 'msk_live_3Hs8Kd',
  label: 'mobile-backend',
  scopes: ['sessions:read', 'sessions:write'],
  created_at: '2026-12-03T10:10:00Z',
  expires_at: null,
}

export const auditEvent = {
  id: 'evt_01KBMQ5B8C0D2E4F6G8H0J2K4N',
  tenant_id: tenantId,
  action: 'key.rotated',
  key_id: keyId,
  key_prefix: apiKey.slice(0, 15),
  new_key_id: rotatedKey.new_api_key_id,
  actor_type: 'api_key',
  actor_key_id: keyId,
  actor_key_prefix: apiKey.slice(0, 15),
  request_id: 'req_01KBMQ5B8C0D2E4F6G8H0J2K4P',
  source_ip: '203.0.113.7',
  created_at: '2026-12-03T10:10:00Z',
}

export const tenant = {
  id: tenantId,
  name: 'Acme Rides',
  number_sharing: 'exclusive',
  rate_limit_per_second: null,
  no_session_prompt: null,
  not_a_party_prompt: null,
  record_calls: false,
  recording_retention_days: 30,
  phone_retention_days: 90,
  unmatched_callback_url: null,
  allowed_countries: ['US'],
  created_at: '2026-12-01T08:00:00Z',
  updated_at: '2026-12-01T08:00:00Z',
}

export const recording = {
  id: 'rec_01JEZ4Y8K3M5N7P9Q1R3S5T7V9',
  tenant_id: tenantId,
  call_id: call.id,
  session_id: session.id,
  status: 'ready',
  content_type: 'audio/wav',
  duration_ms: 184_320,
  size_bytes: 5_898_284,
  sha256: '9f2b5c0e4d1a7b3c8e6f0a2d4c6b8e0f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b',
  started_at: '2026-12-03T10:00:02Z',
  ended_at: '2026-12-03T10:03:10Z',
  ready_at: '2026-12-03T10:03:12Z',
  delete_after: '2027-01-02T10:03:10Z',
  deleted_at: null,
  deletion_reason: null,
  deleted_by_key_id: null,
}

export const erasure = {
  id: 'era_01KBMR2X4Z6B8D0F2H4K6M8P0R',
  tenant_id: tenantId,
  phone_sha256: '8f4c2bd1a7e0f3b6c5d49e2a1f07b8c3d6e5a4f1029384756abcdef012345678',
  touched: { sessions: 3, calls: 5, callback_deliveries: 1, idempotency_records: 0 },
  actor_key_id: keyId,
  actor_key_prefix: apiKey.slice(0, 15),
  request_id: 'req_01KBMQ5B8C0D2E4F6G8H0J2K4P',
  created_at: '2026-12-03T11:00:00Z',
}
