import { reasonOf, type CheckResult } from './doctor-check.ts';

/** The model card parses and an ONNX session loads with the configured execution provider. */
export async function checkModel(model: string, executionProvider: 'cpu' | 'cuda'): Promise<CheckResult> {
  // Imported here: onnxruntime is only loaded by the check that needs it.
  const { createEmbedder, loadModelCard } = await import('@audio-index/embedding');
  let cardId: string;
  try {
    cardId = loadModelCard(model).id;
  } catch (error) {
    return {
      name: 'model',
      status: 'fail',
      detail: `model card "${model}" does not load (${reasonOf(error)})`,
      fix: 'set MODEL to a built-in name (default) or a card path (see models/README.md)',
    };
  }
  const started = performance.now();
  try {
    const embedder = await createEmbedder({ model, executionProvider, threads: 1 });
    const ms = Math.round(performance.now() - started);
    await embedder.close();
    return {
      name: 'model',
      status: 'ok',
      detail: `${embedder.modelId}: ${embedder.dim}-d at ${embedder.sampleRate} Hz, ${executionProvider} session loaded in ${ms} ms`,
    };
  } catch (error) {
    const fix =
      executionProvider === 'cuda'
        ? 'install CUDA 12 and cuDNN 9 libraries, or set EXECUTION_PROVIDER=cpu'
        : "check the card's model file exists (npm run model:build rebuilds the default)";
    return { name: 'model', status: 'fail', detail: `${cardId}: session does not load (${reasonOf(error)})`, fix };
  }
}
