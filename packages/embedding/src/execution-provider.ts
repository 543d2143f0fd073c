import ort from 'onnxruntime-node';
import { EmbeddingError } from './embedding-error.ts';

export const ExecutionProviders = ['cpu', 'cuda'] as const;
export type ExecutionProvider = (typeof ExecutionProviders)[number];

export interface SessionSettings {
  readonly modelPath: string;
  readonly executionProvider: ExecutionProvider;
  /** Threads ONNX Runtime may use inside one run; 1 keeps one session to one core. */
  readonly intraOpThreads: number;
}

/**
 * Creates a session on exactly the requested provider. ONNX Runtime rejects an
 * unavailable CUDA provider at creation rather than falling back, and we keep it so: a
 * GPU worker that quietly ran on CPU would look healthy while being many times slower.
 * To tell "the provider is missing" from "the model is broken" without reading error
 * text, a failed non-CPU session is retried once on CPU purely as a diagnosis.
 */
export async function createInferenceSession(settings: SessionSettings): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(settings.modelPath, sessionOptions(settings, settings.executionProvider));
  } catch (cause) {
    if (settings.executionProvider !== 'cpu' && (await loadsOnCpu(settings))) {
      throw new EmbeddingError(
        'EXECUTION_PROVIDER_UNAVAILABLE',
        `execution provider "${settings.executionProvider}" is unavailable (are its libraries installed, e.g. ONNXRUNTIME_NODE_INSTALL=cuda12, and a device present?)`,
        { cause },
      );
    }
    throw new EmbeddingError('MODEL_LOAD_FAILED', `cannot load model ${settings.modelPath}`, { cause });
  }
}

function sessionOptions(settings: SessionSettings, provider: ExecutionProvider): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    intraOpNumThreads: settings.intraOpThreads,
    // Parallelism across requests comes from the thread pool, not from inside a run.
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  };
}

async function loadsOnCpu(settings: SessionSettings): Promise<boolean> {
  try {
    const session = await ort.InferenceSession.create(settings.modelPath, sessionOptions(settings, 'cpu'));
    await session.release();
    return true;
  } catch {
    return false;
  }
}
