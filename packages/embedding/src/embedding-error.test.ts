import { describe, expect, it } from 'vitest';
import { AppError, CodedError, errorCodeOf } from '@audio-index/shared';
import { EmbeddingError } from './embedding-error.ts';

describe('codes by type', () => {
  it('reads the code of AppError and EmbeddingError, which share the CodedError base', () => {
    expect(new EmbeddingError('SILENT_AUDIO', 'quiet')).toBeInstanceOf(CodedError);
    expect([errorCodeOf(new AppError('BUSY', 'full')), errorCodeOf(new EmbeddingError('MODEL_LOAD_FAILED', 'no'))]).toEqual(['BUSY', 'MODEL_LOAD_FAILED']);
  });

  it('takes no code from an error or object that merely has a code field, even one spelled like ours', () => {
    const errno = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const lookalike = Object.assign(new Error('a driver error'), { code: 'NOT_FOUND' });
    expect([errno, lookalike, { code: 'BUSY' }, 'BUSY', undefined].map(errorCodeOf)).toEqual(['INTERNAL', 'INTERNAL', 'INTERNAL', 'INTERNAL', 'INTERNAL']);
  });
});
