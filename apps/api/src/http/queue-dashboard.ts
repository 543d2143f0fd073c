import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';

type BoardServerAdapter = Parameters<typeof createBullBoard>[0]['serverAdapter'];

const QUEUE_DASHBOARD_PATH = '/admin/queues';

/** bull-board at /admin/queues; the bearer-key hook guards it like every other route. */
export async function registerQueueDashboard(app: FastifyInstance, queues: Queue[]): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  // @bull-board/fastify pins its own copy of @bull-board/api: same shape, separate declarations.
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter: serverAdapter as unknown as BoardServerAdapter });
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
}
